import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const send = (t: TocsinProcess, body: unknown, token = APP_TOKEN) => http('POST', `${t.url}/ingest/app`, { token, body });
const api = (t: TocsinProcess, path: string, method = 'GET') => http(method, `${t.url}/api/v1${path}`, { token: ADMIN_TOKEN });
const eventsFor = async (emu: Emulator, key: string) => (await emu.requests()).filter((r) => r.body?.deduplication_key === key && r.status === 202);

describe('gateway end to end (alert source destination)', () => {
  let emu: Emulator;
  let tocsin: TocsinProcess;
  let dir: string;

  before(async () => {
    emu = await Emulator.start();
    dir = tempDir();
    const port = await freePort();
    tocsin = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { delivery: { poll_interval: '100ms', retry_base_delay: '100ms' } })), { port });
  });
  after(async () => {
    await tocsin?.kill();
    await emu?.close();
  });

  test('firing → one firing alert in incident.io with the schema payload; resolved → resolved', async () => {
    const r = await send(tocsin, { title: 'Orders API 5xx above 2%', dedup_key: 'orders-5xx', severity: 'critical', description: 'p99 up', source_url: 'https://grafana.example/d/1', metadata: { service: 'orders', team: ['payments'] } });
    assert.equal(r.status, 202);
    assert.equal(r.body.results[0].result, 'created');
    const alert = await waitFor('firing alert', async () => (await emu.alerts()).find((a) => a.deduplication_key === 'app:orders-5xx'));
    assert.equal(alert.status, 'firing');
    assert.equal(alert.title, 'Orders API 5xx above 2%');
    const [event] = await eventsFor(emu, 'app:orders-5xx');
    assert.deepEqual(event.body, {
      title: 'Orders API 5xx above 2%',
      status: 'firing',
      deduplication_key: 'app:orders-5xx',
      description: 'p99 up',
      source_url: 'https://grafana.example/d/1',
      metadata: { environment: 'test', service: 'orders', team: ['payments'], source: 'app', severity: 'critical', tocsin_source: 'app', tocsin_severity: 'critical' },
    });
    assert.deepEqual(event.errors, []);

    const resolved = await send(tocsin, { title: 'Orders API 5xx above 2%', dedup_key: 'orders-5xx', status: 'resolved' });
    assert.equal(resolved.body.results[0].result, 'resolved');
    await waitFor('resolved alert', async () => (await emu.alerts()).find((a) => a.deduplication_key === 'app:orders-5xx' && a.status === 'resolved'));
  });

  test('50 identical repeats deliver nothing more; firing after resolve is a new episode', async () => {
    const body = { title: 'Disk 90% full', dedup_key: 'disk-full', severity: 'warning' };
    assert.equal((await send(tocsin, body)).body.results[0].result, 'created');
    await waitFor('first event', async () => (await eventsFor(emu, 'app:disk-full')).length === 1);
    const repeats = await Promise.all(Array.from({ length: 50 }, () => send(tocsin, body)));
    assert.ok(repeats.every((r) => r.status === 202 && r.body.results[0].result === 'unchanged'));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await eventsFor(emu, 'app:disk-full')).length, 1);

    await send(tocsin, { ...body, status: 'resolved' });
    await waitFor('resolve', async () => (await eventsFor(emu, 'app:disk-full')).length === 2);
    const refire = await send(tocsin, body);
    assert.equal(refire.body.results[0].result, 'created');
    await waitFor('second alert', async () => (await emu.alerts()).filter((a) => a.deduplication_key === 'app:disk-full').length === 2);
    const alerts = (await emu.alerts()).filter((a) => a.deduplication_key === 'app:disk-full');
    assert.deepEqual(alerts.map((a) => a.status).sort(), ['firing', 'resolved']);
    const detail = await api(tocsin, `/alerts/${refire.body.results[0].id}`);
    assert.equal(detail.body.alert.episode, 2);
    assert.deepEqual(detail.body.transitions.map((t: { kind: string }) => t.kind), ['created', 'resolved', 'refired']);
  });

  test('503 three times → delivered after retries', async () => {
    await emu.fault({ path_prefix: '/v2/alert_events', count: 3, status: 503 });
    const r = await send(tocsin, { title: 'Flaky upstream', dedup_key: 'flaky' });
    const id = r.body.results[0].id;
    const delivered = await waitFor('delivery after retries', async () => {
      const d = (await api(tocsin, `/deliveries?alert_id=${id}`)).body.deliveries[0];
      return d?.status === 'delivered' ? d : undefined;
    }, 15_000);
    assert.equal(delivered.attempts, 4);
    const attempts = (await api(tocsin, `/deliveries/${delivered.id}`)).body.attempts;
    assert.deepEqual(attempts.map((a: { status_code: number }) => a.status_code), [503, 503, 503, 202]);
  });

  test('429 with Retry-After: 2 → no new attempt before 2 s', async () => {
    const seen = (await emu.requests()).length;
    await emu.fault({ path_prefix: '/v2/alert_events', count: 1, status: 429, retry_after: 2 });
    await send(tocsin, { title: 'Rate limited', dedup_key: 'limited' });
    await waitFor('delivered after 429', async () => (await eventsFor(emu, 'app:limited')).length === 1, 10_000);
    // A faulted request is answered before its body is read, so it is found by position, not by key.
    const reqs = (await emu.requests()).slice(seen);
    assert.deepEqual(reqs.map((x) => x.status), [429, 202]);
    const gap = Date.parse(reqs[1].received_at) - Date.parse(reqs[0].answered_at ?? reqs[0].received_at);
    assert.ok(gap >= 2000, `retried after ${gap} ms`);
  });

  test('bad input gets a clear 4xx and changes nothing', async () => {
    const before = (await api(tocsin, '/alerts?limit=500')).body.alerts.length;
    const cases: [string, () => Promise<{ status: number; body: any }>, number, RegExp][] = [
      ['no token', () => http('POST', `${tocsin.url}/ingest/app`, { body: { title: 'x' } }), 401, /token/],
      ['wrong token', () => send(tocsin, { title: 'x' }, 'wrong-token-0123456789'), 401, /token/],
      ['unknown source', () => http('POST', `${tocsin.url}/ingest/nope`, { token: APP_TOKEN, body: { title: 'x' } }), 401, /token/],
      // What cannot mean anything; an unknown severity word or field is accepted with a warning (versus.e2e.test.ts).
      ['no title and nothing to take one from', () => send(tocsin, { status: 'firing' }), 400, /title/],
      ['a title that is not text', () => send(tocsin, { title: 42 }), 400, /title/],
      ['one bad alert in a batch', () => send(tocsin, [{ title: 'fine' }, { title: 'x', status: 'maybe' }]), 400, /\[1\]\.status/],
      ['not JSON', () => http('POST', `${tocsin.url}/ingest/app`, { token: APP_TOKEN, raw: '{"title":', headers: { 'content-type': 'application/json' } }), 400, /JSON/],
      ['text/plain', () => http('POST', `${tocsin.url}/ingest/app`, { token: APP_TOKEN, raw: 'title', headers: { 'content-type': 'text/plain' } }), 415, /JSON/],
      ['over 1 MiB', () => send(tocsin, { title: 'x', description: 'y'.repeat(1_100_000) }), 413, /limit/],
      ['1001 alerts', () => send(tocsin, Array.from({ length: 1001 }, (_, i) => ({ title: `a${i}` }))), 400, /1000/],
    ];
    for (const [name, call, status, message] of cases) {
      const r = await call();
      assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error.message, message, name);
      assert.equal(typeof r.body.error.code, 'string');
    }
    assert.equal((await api(tocsin, '/alerts?limit=500')).body.alerts.length, before);
  });

  test('management API needs the admin token and answers 404 for unknown ids', async () => {
    assert.equal((await http('GET', `${tocsin.url}/api/v1/alerts`)).status, 401);
    assert.equal((await http('GET', `${tocsin.url}/api/v1/alerts`, { token: APP_TOKEN })).status, 401);
    assert.equal((await api(tocsin, '/alerts/NOPE')).status, 404);
    assert.equal((await api(tocsin, '/deliveries/999999/retry', 'POST')).status, 404);
    assert.equal((await api(tocsin, '/alerts?status=open')).status, 400);
    const metrics = await http('GET', `${tocsin.url}/metrics`);
    assert.match(metrics.text, /tocsin_ingested_alerts_total\{source="app",result="created"\} \d+/);
    assert.match(metrics.text, /tocsin_delivery_attempts_total\{destination="oncall",outcome="delivered"\} \d+/);
    assert.match(metrics.text, /tocsin_delivery_latency_seconds_bucket/);
  });
});
