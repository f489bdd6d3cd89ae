/**
 * Heartbeats (issue 9, dead man's switch) with the real binary and the emulator: a missed period raises an alert of
 * the internal source tocsin:heartbeat, routed like any other; pings resume → it is resolved where it went. The
 * clock is durable: a restart neither resets it nor raises the alert twice. An Alertmanager Watchdog is a ping, never
 * an alert. Sender auth: 401 for a wrong token, 404 for an unknown heartbeat.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, ROOT, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const AM_TOKEN = 'alertmanager-source-token-0123456789';
const HB_TOKEN = 'nightly-etl-own-token-0123456789abc';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function setup(heartbeats: Record<string, unknown>, over: Record<string, unknown> = {}) {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const base = gatewayConfig(emu, dir, port, { delivery: { poll_interval: '200ms', retry_base_delay: '100ms' }, ...over });
  const write = (hbs: Record<string, unknown>) => writeConfig(dir, { ...base, sources: { ...(base.sources as object), am: { type: 'alertmanager', token: AM_TOKEN } }, heartbeats: hbs });
  const config = write(heartbeats);
  const start = async () => {
    const t = await startTocsin(config, { port });
    cleanups.push(() => t.kill('SIGKILL'));
    return t;
  };
  /** The heartbeat alert's events at the emulator, in order. */
  const events = async (key: string) =>
    (await emu.requests(`/v2/alert_events/http/${emu.source.id}`)).filter((r) => r.status === 202 && r.body.deduplication_key === key).map((r) => r.body);
  return { emu, start, events, write };
}

const list = async (t: TocsinProcess) => (await http('GET', `${t.url}/api/v1/heartbeats`, { token: ADMIN_TOKEN })).body.heartbeats as any[];
const ping = (t: TocsinProcess, name: string, token = APP_TOKEN) => http('POST', `${t.url}/heartbeat/${name}`, { token });

test('a missed period fires (not before), routed with its labels; pings resume → resolved where it went', async () => {
  const { start, events } = await setup({ 'nightly-etl': { every: '2s', labels: { team: 'data' } } });
  const startedAt = Date.now();
  const t = await start();
  assert.equal((await list(t))[0].status, 'waiting');
  // On a busy machine the start itself may take most of a period: look only while the period surely runs.
  if (Date.now() - startedAt < 1500) assert.deepEqual(await events('tocsin:heartbeat:nightly-etl'), [], 'no alert within the first period');
  const fired = await waitFor('the missed alert', async () => (await events('tocsin:heartbeat:nightly-etl'))[0], 6000);
  assert.equal(fired.status, 'firing');
  assert.equal(fired.title, 'nightly-etl: no heartbeat for 2s');
  assert.equal(fired.metadata.heartbeat, 'nightly-etl');
  assert.equal(fired.metadata.team, 'data');
  const hb = (await list(t))[0];
  assert.equal(hb.status, 'down');
  assert.equal(hb.alert.state, 'firing');
  assert.match((await http('GET', `${t.url}/metrics`)).text, /^tocsin_heartbeat_up\{heartbeat="nightly-etl"\} 0$/m);
  const alert = (await http('GET', `${t.url}/api/v1/alerts/${hb.alert.id}`, { token: ADMIN_TOKEN })).body.alert;
  assert.equal(alert.source, 'tocsin:heartbeat');
  assert.ok(Date.parse(alert.created_at) >= Date.parse(hb.due_at), 'raised at its due time, not before');
  assert.ok(Date.parse(hb.due_at) >= startedAt + 2000, 'due a whole period after it was configured');

  const r = await ping(t, 'nightly-etl');
  assert.equal(r.status, 200, r.text);
  await waitFor('the resolve', async () => (await events('tocsin:heartbeat:nightly-etl')).some((e) => e.status === 'resolved'), 5000);
  // A fresh ping first: on a busy machine waiting for the resolve can outlast the 2 s period (then it is late again).
  assert.equal((await ping(t, 'nightly-etl')).status, 200);
  assert.equal((await list(t))[0].status, 'up');
  // The gauge is read from the database at scrape time (one read shared by a scrape's three gauges): poll a little
  // rather than trust the first scrape after the ping (a CI run under load saw one stale scrape).
  const metrics = await waitFor('up on /metrics', async () => {
    const text = (await http('GET', `${t.url}/metrics`)).text;
    return /^tocsin_heartbeat_up\{heartbeat="nightly-etl"\} 1$/m.test(text) ? text : undefined;
  }, 1500, 100);
  assert.match(metrics, /^tocsin_heartbeat_last_ping_timestamp_seconds\{heartbeat="nightly-etl"\} \d+/m);
  // Silent again: a new episode (incident.io opens a new alert for it).
  await waitFor('the second miss', async () => (await events('tocsin:heartbeat:nightly-etl')).map((e) => e.status).join() === 'firing,resolved,firing', 6000);
});

test('a restart does not reset the clock, and does not raise the alert twice', async () => {
  const { start, events } = await setup({ etl: { every: '4s' } });
  let t = await start();
  const pingedAt = Date.now();
  assert.equal((await ping(t, 'etl')).status, 200);
  await t.kill('SIGKILL');
  t = await start();
  const readyAt = Date.now();
  await waitFor('the missed alert after the restart', async () => (await events('tocsin:heartbeat:etl')).length === 1, 10_000, 50);
  const firedAt = Date.now();
  assert.ok(firedAt - pingedAt >= 4000, 'not before it was due');
  // A clock reset by the restart would be due 4 s after the restart at the earliest.
  assert.ok(firedAt < readyAt + 3000, `due 4 s after the ping whatever the restart: raised ${firedAt - pingedAt} ms after the ping, ${firedAt - readyAt} ms after the restart`);
  // Killed once the send is recorded: killed before, the same event is sent again after the restart (by design: its
  // answer may have been lost; incident.io deduplicates it), which is not what this test is about.
  const sender = t;
  await waitFor('the send recorded', async () => (await http('GET', `${sender.url}/api/v1/deliveries?status=delivered`, { token: ADMIN_TOKEN })).body.deliveries.length === 1);
  await t.kill('SIGKILL');
  t = await start();
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual((await events('tocsin:heartbeat:etl')).map((e) => e.status), ['firing'], 'raised once across restarts');
  assert.equal((await list(t))[0].status, 'down');
});

test('missed while tocsin was down: raised at start', async () => {
  const { start, events } = await setup({ etl: { every: '1s' } });
  let t = await start();
  assert.equal((await ping(t, 'etl')).status, 200);
  await t.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(await events('tocsin:heartbeat:etl'), []);
  t = await start();
  await waitFor('the missed alert at start', async () => (await events('tocsin:heartbeat:etl')).length === 1, 6000);
});

test("an Alertmanager Watchdog is a ping, never an alert; the notification's other alerts go through", async () => {
  const { emu, start } = await setup({ 'prometheus-watchdog': { every: '5m', alertmanager: { source: 'am' } } });
  const t = await start();
  const fixture = JSON.parse(readFileSync(join(ROOT, 'src/sources/alertmanager/testdata/webhook-v4-1-firing.json'), 'utf8'));
  const watchdog = { status: 'firing', labels: { alertname: 'Watchdog', severity: 'none' }, annotations: { summary: 'An alert that should always be firing' }, startsAt: '2026-11-22T08:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'e8e2ad1c6ea0c18b' };
  const body = { ...fixture, alerts: [fixture.alerts[0], watchdog, fixture.alerts[1]] };
  const r = await http('POST', `${t.url}/ingest/am`, { token: AM_TOKEN, body });
  assert.equal(r.status, 202, r.text);
  assert.deepEqual(r.body.results.map((x: any) => x.result), ['created', 'heartbeat', 'created']);
  assert.equal(r.body.results[1].heartbeat, 'prometheus-watchdog');
  assert.equal(r.body.results[1].id, null);
  // A Watchdog-only notification (its group repeats every repeat_interval) is a ping too.
  const only = await http('POST', `${t.url}/ingest/am`, { token: AM_TOKEN, body: { ...fixture, alerts: [watchdog], groupLabels: { alertname: 'Watchdog' } } });
  assert.equal(only.status, 202, only.text);
  assert.deepEqual(only.body.results.map((x: any) => x.result), ['heartbeat']);

  const hb = (await list(t))[0];
  assert.equal(hb.status, 'up');
  assert.equal(hb.pings, 2);
  await waitFor('the two HighCPU alerts delivered', async () => (await emu.alerts()).length === 2);
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(!(await emu.alerts()).some((a) => /Watchdog/.test(a.title)), 'the Watchdog is never delivered');
  const stored = (await http('GET', `${t.url}/api/v1/alerts?source=am`, { token: ADMIN_TOKEN })).body.alerts;
  assert.equal(stored.length, 2);
  assert.ok(!stored.some((a: any) => /Watchdog/.test(a.title)), 'nor stored as an alert');
});

test('sender auth: a source token or the heartbeat token; wrong 401, unknown 404; GET and any body work', async () => {
  const { start } = await setup({ 'nightly-etl': { every: '1h', token: HB_TOKEN } });
  const t = await start();
  assert.equal((await ping(t, 'nightly-etl', 'wrong-token-0123456789abcdef')).status, 401);
  assert.equal((await http('POST', `${t.url}/heartbeat/nightly-etl`)).status, 401);
  assert.equal((await ping(t, 'no-such-heartbeat')).status, 404, 'a source token on an unknown heartbeat');
  assert.equal((await ping(t, 'no-such-heartbeat', 'wrong-token-0123456789abcdef')).status, 401, 'no valid token: which heartbeats exist is not told');
  assert.equal((await ping(t, 'no-such-heartbeat', HB_TOKEN)).status, 401, "a heartbeat's own token is for that heartbeat only");
  assert.equal((await ping(t, 'nightly-etl', HB_TOKEN)).status, 200);
  assert.equal((await ping(t, 'nightly-etl', AM_TOKEN)).status, 200, "any source's token");
  assert.equal((await http('GET', `${t.url}/heartbeat/nightly-etl?token=${HB_TOKEN}`)).status, 200, 'curl -fsS <url>');
  const form = await http('POST', `${t.url}/heartbeat/nightly-etl`, { token: HB_TOKEN, raw: 'exit=0&took=35s', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(form.status, 200, 'curl -d: the body is ignored, never refused');
  assert.equal((await http('HEAD', `${t.url}/heartbeat/nightly-etl?token=${HB_TOKEN}`)).status, 404, 'HEAD changes nothing');
  const hb = (await list(t))[0];
  assert.equal(hb.pings, 4);
  assert.equal((await http('GET', `${t.url}/api/v1/heartbeats`)).status, 401, 'the listing needs the admin token');
  assert.ok(!JSON.stringify(await list(t)).includes(HB_TOKEN));
  assert.ok(!t.output.join('\n').includes(HB_TOKEN), 'the token is never logged');
});

test('reload: a removed heartbeat resolves its alert; one added starts its clock at the reload', async () => {
  const { start, events, write } = await setup({ etl: { every: '1s' } });
  const t = await start();
  await waitFor('the missed alert', async () => (await events('tocsin:heartbeat:etl')).length === 1, 5000);
  write({ backup: { every: '1h' } });
  assert.equal((await http('POST', `${t.url}/-/reload`, { token: ADMIN_TOKEN })).status, 200);
  await waitFor('resolved once removed', async () => (await events('tocsin:heartbeat:etl')).map((e) => e.status).join() === 'firing,resolved', 5000);
  assert.deepEqual((await list(t)).map((h) => [h.name, h.status]), [['backup', 'waiting']]);
  assert.equal((await ping(t, 'etl')).status, 404, 'no longer configured');

  write({ backup: { every: '1h' }, etl: { every: '2s' } });
  const reloadedAt = Date.now();
  assert.equal((await http('POST', `${t.url}/-/reload`, { token: ADMIN_TOKEN })).status, 200);
  await waitFor('the new clock', async () => (await list(t)).find((h) => h.name === 'etl')?.status === 'waiting', 3000);
  await waitFor('missed again, a period after the reload', async () => (await events('tocsin:heartbeat:etl')).length === 3, 6000);
  assert.ok(Date.now() - reloadedAt >= 2000, 'not before a whole period from the reload');
});
