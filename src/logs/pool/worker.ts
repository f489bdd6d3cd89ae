/**
 * A logs worker thread (pool.ts starts it): reads request bodies for the rule sets the main thread sends it and
 * answers each with its tally (tally.ts). It holds no state but the compiled rule sets, by version id, so a reload
 * never changes how a body already sent is read: the main thread sends a new version, and drops an old one only
 * after every request that names it (messages arrive in order).
 *
 * Nothing from a body ever leaves this thread but the tally: a failure is answered by its error's class name only.
 */
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './protocol.ts';
import { compileSpec, tallyBody, type CompiledSpec } from './tally.ts';

const port = parentPort;
if (!port) throw new Error('src/logs/pool/worker.ts runs as a worker thread (pool.ts starts it)');
const sets = new Map<number, CompiledSpec>();

port.on('message', (m: ToWorker) => {
  if (m.type === 'rules') sets.set(m.spec.id, compileSpec(m.spec));
  else if (m.type === 'drop') sets.delete(m.id);
  else {
    let answer: FromWorker;
    try {
      const rules = sets.get(m.rules);
      if (!rules) throw new Error(`rule set ${m.rules} was never sent to this worker`);
      answer = { seq: m.seq, tally: tallyBody(rules, m.body) };
    } catch (e) {
      answer = { seq: m.seq, failed: e instanceof Error ? e.constructor.name : 'unknown' };
    }
    port.postMessage(answer);
  }
});
