/**
 * Preloaded into a tocsin child process by the SNS end-to-end test only (`NODE_OPTIONS=--import …`): AWS SNS
 * (*.amazonaws.com) is answered by the test's local HTTPS server on TOCSIN_TEST_SNS_PORT, through undici's global
 * dispatcher, which is what tocsin's SNS client uses. tocsin's own code is unchanged and has no switch for this:
 * redirecting it takes control of how its Node process starts, not a config key.
 */
import { setGlobalDispatcher } from 'undici';
import { redirectingDispatcher } from './sns-dispatcher.ts';

const port = Number(process.env.TOCSIN_TEST_SNS_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('test/sns-redirect.ts needs TOCSIN_TEST_SNS_PORT');
setGlobalDispatcher(redirectingDispatcher(port));
