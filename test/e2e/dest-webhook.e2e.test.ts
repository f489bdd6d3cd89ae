/**
 * The `webhook` destination through a real `tocsin start`: a firing and its resolve reach a receiver as signed alert
 * documents; a 429 with Retry-After is waited out and the retry carries the same webhook-id; a receiver that cannot
 * verify the signature (wrong secret) dead-letters the delivery with a hint; `tocsin test-connection` works; and no
 * secret (URL credential, signing secret) shows in logs, API answers or CLI output.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { Receiver } from '../standins/receiver.ts';
import { tocsin } from './cli-helpers.ts';
import { assertNoSecret, deliveries, ingest, startWith } from './dest-helpers.ts';

const SECRET = 'whsec_' + Buffer.alloc(32, 42).toString('base64');
const WRONG = 'whsec_' + Buffer.alloc(32, 43).toString('base64');
const CREDENTIAL = 'receiver-credential-8d1f0c';

describe('webhook destination, end to end', () => {
  let rx: Receiver;
  let t: TocsinProcess & { dir: string };
  const ids: string[] = [];
  const hook = () => ({ type: 'webhook', url: `${rx.url}/in?token=${CREDENTIAL}`, secret: SECRET });

  before(async () => {
    rx = await Receiver.start(SECRET);
    t = await startWith({ hook: hook(), forged: { type: 'webhook', url: `${rx.url}/forged?token=${CREDENTIAL}`, secret: WRONG } }, {
      routes: [{ match: { team: 'forged' }, to: ['forged'] }, { to: ['hook'] }],
    });
  });
  after(async () => {
    await t?.kill();
    await rx?.close();
  });

  test('fire → a signed alert document; resolve → the resolved state, a new webhook-id', async () => {
    const id = await ingest(t, { title: 'Orders 5xx', dedup_key: 'orders-5xx', severity: 'critical', metadata: { team: 'payments' } });
    ids.push(id);
    await waitFor('the firing', () => rx.received.length >= 1);
    await ingest(t, { title: 'Orders 5xx', dedup_key: 'orders-5xx', status: 'resolved' });
    await waitFor('the resolve', () => rx.received.length >= 2);
    const [fired, resolved] = rx.received;
    assert.ok(fired!.verified && resolved!.verified);
    assert.equal(fired!.path, `/in?token=${CREDENTIAL}`);
    const [a, b] = rx.bodies();
    assert.equal(a.type, 'alert.firing');
    assert.equal(a.id, id);
    assert.equal(a.key, 'app:orders-5xx');
    assert.deepEqual(a.labels.team, ['payments']);
    assert.equal(a.severity, 'critical');
    assert.equal(b.type, 'alert.resolved');
    assert.equal(b.severity, 'critical', 'a field the resolve left out keeps its value');
    assert.notEqual(fired!.headers['webhook-id'], resolved!.headers['webhook-id']);
    const rows = await deliveries(t, id);
    assert.ok(rows.every((d) => d.status === 'delivered'));
  });

  test('a 429 with Retry-After is waited out; the retry is the same message (same webhook-id)', async () => {
    rx.received.length = 0;
    rx.script.push({ status: 429, headers: { 'retry-after': '2' } });
    const id = await ingest(t, { title: 'Disk full', dedup_key: 'disk-full' });
    ids.push(id);
    await waitFor('the retry', () => rx.received.length >= 2, 15_000);
    const [first, second] = rx.received;
    assert.ok(second!.at - first!.at >= 1900, `retried after ${second!.at - first!.at} ms`);
    assert.equal(first!.headers['webhook-id'], second!.headers['webhook-id']);
    assert.ok(second!.verified);
    const d = await waitFor('delivered', async () => (await deliveries(t, id)).find((r) => r.status === 'delivered'));
    assert.equal(d.attempts, 2);
  });

  test('a receiver that rejects the signature (wrong secret): dead-lettered with a hint', async () => {
    const id = await ingest(t, { title: 'Forged?', dedup_key: 'forged', metadata: { team: 'forged' } });
    ids.push(id);
    const d = await waitFor('dead letter', async () => (await deliveries(t, id)).find((r) => r.status === 'dead'));
    assert.equal(d.last_status_code, 401);
    assert.match(d.hint, /secret/);
    assert.equal(d.attempts, 1, '401 is final: not retried');
  });

  test('tocsin test-connection: firing then resolved, marked test', async () => {
    rx.received.length = 0;
    const r = await tocsin(['test-connection', 'hook', '--config', t.configPath]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /works/);
    assert.deepEqual(rx.bodies().map((b) => [b.status, b.test]), [['firing', true], ['resolved', true]]);
    const bad = await tocsin(['test-connection', 'forged', '--config', t.configPath]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.out + bad.err, /FAILED \(HTTP 401\)[\s\S]*hint: .*secret/);
    for (const out of [r.out, r.err, bad.out, bad.err]) for (const s of [CREDENTIAL, SECRET, WRONG]) assert.ok(!out.includes(s), 'a secret in CLI output');
  });

  test('no secret in logs, API answers or delivery rows', async () => {
    await assertNoSecret(t, ids, [CREDENTIAL, SECRET, WRONG, SECRET.slice(6), WRONG.slice(6)]);
  });

  test('check-config names a bad secret without printing it', async () => {
    const path = writeConfig(t.dir, { sources: {}, destinations: { hook: { type: 'webhook', url: `${rx.url}/in?token=${CREDENTIAL}`, secret: 'hunter2-not-a-whsec-secret' } } }, 'bad.yaml');
    const r = await tocsin(['check-config', '--config', path]);
    assert.equal(r.code, 2);
    assert.match(r.err, /destinations\.hook\.secret: must be whsec_/);
    assert.ok(!(r.err + r.out).includes('hunter2') && !(r.err + r.out).includes(CREDENTIAL));
  });
  test('every attempt is counted in /metrics by destination and outcome', async () => {
    const metrics = (await http('GET', `${t.url}/metrics`)).text;
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="hook",outcome="delivered"\} [1-9]/);
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="hook",outcome="retry"\} [1-9]/);
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="forged",outcome="failed"\} [1-9]/);
  });
});
