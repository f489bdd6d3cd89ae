/**
 * Acknowledgement in every channel that shows state (issue 9), through the real `tocsin start`: the first message
 * of each carries the signed link (an email link, a Teams Action.OpenUrl, the webhook document's ack_url); an ack is
 * then a reply in the email thread, a new Teams card and an `alert.acknowledged` webhook event; the resolve follows
 * everywhere as before. The SMTP server is real (test/smtp.ts); Teams is a stand-in (test/standins/msteams.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_TOKEN, http, waitFor, type TocsinProcess } from '../harness.ts';
import { makeCert, SmtpTestServer } from '../smtp.ts';
import { TeamsStandin } from '../standins/msteams.ts';
import { Receiver } from '../standins/receiver.ts';
import { ingest, startWith } from './dest-helpers.ts';

const ACK_SECRET = 'ack-secret-channels-5b7e2d9c1a4f8e6b3d0c7a9f';
const HOOK_SECRET = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const WF = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SIG = 'ackE2eSig0123456789abcdEF';

let smtp: SmtpTestServer;
let teams: TeamsStandin;
let rx: Receiver;
let t: TocsinProcess & { dir: string };

before(async () => {
  smtp = await SmtpTestServer.start({ cert: makeCert(), noStartTls: true });
  teams = await TeamsStandin.start({ workflows: { [WF]: SIG } });
  rx = await Receiver.start(HOOK_SECRET);
  t = await startWith(
    {
      mail: { type: 'email', host: '127.0.0.1', port: smtp.port, tls: 'none', from: 'tocsin <alerts@example.com>', to: ['oncall@example.com'] },
      teams: { type: 'msteams', webhook_url: teams.workflowUrl(WF, SIG) },
      hook: { type: 'webhook', url: `${rx.url}/in`, secret: HOOK_SECRET },
    },
    // Where people would reach tocsin (this test does not open the links: ack.e2e.test.ts does).
    { ack: { secret: ACK_SECRET, public_url: 'https://tocsin.example.com/' } },
  );
});
after(async () => {
  await t?.kill();
  await smtp?.close();
  await teams?.close();
  await rx?.close();
});

test('email, Teams and webhook: the link while firing, then the acknowledged state, then the resolve', async () => {
  const id = await ingest(t, { title: 'Queue backlog', dedup_key: 'backlog', severity: 'warning' });
  await waitFor('the first of each', () => smtp.mails.length >= 1 && teams.cards.length >= 1 && rx.received.length >= 1);
  const doc = rx.bodies()[0];
  assert.equal(doc.type, 'alert.firing');
  const link: string = doc.ack_url;
  assert.ok(link.startsWith('https://tocsin.example.com/ack/'), link);
  assert.ok(smtp.mails[0]!.raw.includes(link.slice(link.lastIndexOf('/') + 1, link.lastIndexOf('/') + 40)), 'the link in the email');
  assert.deepEqual(teams.cards[0]!.card.actions?.[0], { type: 'Action.OpenUrl', title: 'Acknowledge', url: link });

  const ack = await http('POST', `${t.url}/api/v1/alerts/${id}/acknowledge`, { token: ADMIN_TOKEN, body: { by: 'erin' } });
  assert.equal(ack.status, 200, ack.text);
  await waitFor('the acknowledged state everywhere', () => smtp.mails.length >= 2 && teams.cards.length >= 2 && rx.received.length >= 2);
  const [first, reply] = smtp.mails;
  assert.equal(reply!.headers['in-reply-to'], first!.headers['message-id'], 'a reply in the thread');
  assert.equal(reply!.headers['x-tocsin-status'], 'acknowledged');
  assert.match(reply!.raw, /ACKNOWLEDGED by erin/);
  assert.match(JSON.stringify(teams.cards[1]!.card.body), /ACKNOWLEDGED by erin/);
  assert.equal(teams.cards[1]!.card.actions, undefined, 'no Acknowledge action once acknowledged');
  const acked = rx.bodies()[1];
  assert.equal(acked.type, 'alert.acknowledged');
  assert.equal(acked.status, 'firing');
  assert.equal(acked.acknowledged.by, 'erin');
  assert.equal(acked.ack_url, null);
  assert.ok(rx.received.every((r) => r.verified), 'signed like every document');

  await ingest(t, { title: 'Queue backlog', dedup_key: 'backlog', status: 'resolved' });
  await waitFor('the resolve everywhere', () => smtp.mails.length >= 3 && teams.cards.length >= 3 && rx.received.length >= 3);
  assert.equal(rx.bodies()[2].type, 'alert.resolved');
  assert.equal(smtp.mails[2]!.headers['x-tocsin-status'], 'resolved');
  assert.equal(smtp.mails[2]!.headers['in-reply-to'], first!.headers['message-id']);
  assert.ok(!t.output.join('\n').includes(ACK_SECRET));
});
