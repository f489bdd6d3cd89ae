import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const send = (t: TocsinProcess, body: unknown) => http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body });
const api = (t: TocsinProcess, path: string, method = 'GET') => http(method, `${t.url}/api/v1${path}`, { token: ADMIN_TOKEN });

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('kill -9 after the 202 and before delivery: delivered once after restart', async () => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const config = writeConfig(dir, gatewayConfig(emu, dir, port, { delivery: { poll_interval: '100ms', retry_base_delay: '100ms' } }));
  let tocsin = await startTocsin(config, { port });
  cleanups.push(() => tocsin.kill());

  await emu.pause();
  const r = await send(tocsin, [
    { title: 'Payments DB down', dedup_key: 'payments-db', severity: 'critical' },
    { title: 'Queue backlog', dedup_key: 'queue', severity: 'warning' },
  ]);
  assert.equal(r.status, 202);
  await tocsin.kill('SIGKILL');
  await emu.reset(); // forget anything the dead process had on the wire: only what the restart sends counts
  await emu.resume();
  assert.deepEqual(await emu.alerts(), []);

  tocsin = await startTocsin(config, { port });
  const alerts = await waitFor('both alerts after restart', async () => {
    const a = await emu.alerts();
    return a.length === 2 ? a : undefined;
  });
  assert.deepEqual(alerts.map((a) => a.deduplication_key).sort(), ['app:payments-db', 'app:queue']);
  await new Promise((res) => setTimeout(res, 500));
  const events = (await emu.requests()).filter((x) => x.status === 202);
  assert.equal(events.length, 2, 'each alert sent exactly once after the restart');
  const delivered = (await api(tocsin, '/deliveries?status=delivered')).body.deliveries;
  assert.equal(delivered.length, 2);
});

test('401 → dead letter with a hint; fixed token + retry → delivered', async () => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const good = gatewayConfig(emu, dir, port, { delivery: { poll_interval: '100ms' } });
  const bad = structuredClone(good) as typeof good;
  (bad.destinations.oncall as { token: string }).token = 'a-token-of-another-alert-source';
  const config = writeConfig(dir, bad);
  const tocsin = await startTocsin(config, { port });
  cleanups.push(() => tocsin.kill());

  const r = await send(tocsin, { title: 'Checkout latency', dedup_key: 'checkout-latency', severity: 'error' });
  const dead = await waitFor('dead letter', async () => (await api(tocsin, '/deliveries?status=dead')).body.deliveries[0]);
  assert.equal(dead.alert_id, r.body.results[0].id);
  assert.equal(dead.last_status_code, 401);
  assert.match(dead.hint, /token is wrong, or belongs to another alert source/);
  assert.ok(dead.request_id, 'incident.io request_id kept');
  assert.match(dead.response_excerpt, /authentication_error|token/);
  assert.equal(dead.attempts, 1, 'a 401 is final, not retried');

  // The alert resolves while its delivery is dead: the retry must carry the latest state.
  await send(tocsin, { title: 'Checkout latency', dedup_key: 'checkout-latency', status: 'resolved' });
  await waitFor('second dead letter', async () => (await api(tocsin, '/deliveries?status=dead')).body.deliveries.length === 2);

  writeConfig(dir, good);
  tocsin.proc.kill('SIGHUP');
  await waitFor('reload', () => tocsin.output.some((l) => l.includes('configuration reloaded')));
  const retried = await api(tocsin, `/deliveries/${dead.id}/retry`, 'POST');
  assert.equal(retried.status, 200, retried.text);
  assert.equal((await api(tocsin, `/deliveries/${dead.id}/retry`, 'POST')).status, 409, 'only dead deliveries can be retried');
  await waitFor('delivered after retry', async () => (await api(tocsin, `/deliveries/${dead.id}`)).body.delivery.status === 'delivered');
  const sent = (await emu.requests()).filter((x) => x.status === 202);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].body.status, 'resolved', 'the retry sent the latest state, folded with the later dead letter');
  assert.equal((await api(tocsin, '/deliveries?status=dead')).body.deliveries.length, 0);
});

test('1,000 alerts in one burst to a source limited to 120/min: no 429, updates coalesced', async () => {
  const emu = await Emulator.start({ alertEventsPerMinute: 120 });
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const base = gatewayConfig(emu, dir, port, { delivery: { poll_interval: '100ms' } });
  const config = writeConfig(dir, base);
  const tocsin = await startTocsin(config, { port });
  cleanups.push(() => tocsin.kill());

  const burst = Array.from({ length: 1000 }, (_, i) => ({ title: `Table ${i} stale`, dedup_key: `stale-${i}`, severity: 'warning' }));
  const r = await send(tocsin, burst);
  assert.equal(r.status, 202);
  const last = r.body.results[999].id;
  // The last alert waits behind 999 others; its updates replace its queued payload instead of piling up.
  for (let v = 1; v <= 5; v++) await send(tocsin, { title: `Table 999 stale (check ${v})`, dedup_key: 'stale-999', severity: 'warning' });
  const rows = (await api(tocsin, `/deliveries?alert_id=${last}`)).body.deliveries;
  assert.equal(rows.length, 1);
  assert.equal(rows[0].status, 'pending');

  await new Promise((res) => setTimeout(res, 8000));
  const during = await emu.requests();
  assert.equal(during.filter((x) => x.status === 429).length, 0, 'tocsin never triggered a 429');
  const sent = during.filter((x) => x.status === 202).length;
  // burst 10 + 2/s for ~8 s (plus start-up slack): the client-side bucket, not incident.io, set the pace.
  assert.ok(sent >= 15 && sent <= 30, `sent ${sent} in 8 s`);

  // Lift both limits (config reload on SIGHUP) and let the backlog drain.
  await emu.rateLimits({ alert_events_per_minute: 600_000 });
  (base.destinations.oncall as Record<string, unknown>).rate_limit_per_minute = 600_000;
  (base.destinations.oncall as Record<string, unknown>).rate_limit_burst = 100;
  writeConfig(dir, base);
  tocsin.proc.kill('SIGHUP');
  // 1,000 queued at 120/min is a storm (storm mode, README): the summary is one more alert, resolved once drained.
  const isSummary = (a: { deduplication_key: string }) => a.deduplication_key === 'tocsin:storm:oncall';
  await waitFor('all 1000 delivered', async () => (await emu.alerts()).filter((a) => !isSummary(a)).length === 1000, 30_000, 250);
  await waitFor('the storm summary resolved', async () => (await emu.alerts()).filter(isSummary).every((a) => a.status === 'resolved'), 15_000, 250);
  const all = await emu.requests();
  assert.equal(all.filter((x) => x.status === 429).length, 0);
  const lastEvents = all.filter((x) => x.body?.deduplication_key === 'app:stale-999');
  assert.equal(lastEvents.length, 1, 'five updates while queued were coalesced into one send');
  assert.equal(lastEvents[0].body.title, 'Table 999 stale (check 5)');
});
