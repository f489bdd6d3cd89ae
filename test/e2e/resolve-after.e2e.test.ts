/**
 * `resolve_after` (issue 9): a sender that only ever fires never says an alert is over. tocsin resolves an alert of
 * such a source once no event came for that long — measured from its last event, so a repeat keeps it open — and the
 * resolve reaches incident.io like a source's.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig } from '../harness.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

test('an alert with no new event for resolve_after is resolved in incident.io; a repeat keeps it open meanwhile', async () => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const config = gatewayConfig(emu, dir, port, {
    sources: { app: { type: 'alerts', token: APP_TOKEN, resolve_after: '3s' } },
    delivery: { poll_interval: '100ms' },
  });
  const t = await startTocsin(writeConfig(dir, config), { port });
  cleanups.push(() => t.kill('SIGKILL'));
  const fire = () => http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Error rate in app logs', dedup_key: 'log-errors' } });
  const first = Date.now();
  const r = await fire();
  assert.equal(r.status, 202);
  await waitFor('firing in incident.io', async () => (await emu.alerts())[0]?.status === 'firing');
  // A repeat at 2 s: the 3 s run from here now.
  await new Promise((res) => setTimeout(res, 2000 - (Date.now() - first)));
  const repeatedAt = Date.now();
  await fire();
  await new Promise((res) => setTimeout(res, 2000));
  assert.equal((await emu.alerts())[0]?.status, 'firing', 'still open 4 s after the first event: the repeat counts');
  await waitFor('resolved in incident.io', async () => (await emu.alerts())[0]?.status === 'resolved', 5000, 50);
  const silentMs = Date.now() - repeatedAt;
  assert.ok(silentMs >= 3000 && silentMs < 4500, `resolved ${silentMs} ms after the last event`);
  const detail = (await http('GET', `${t.url}/api/v1/alerts/${r.body.results[0].id}`, { token: ADMIN_TOKEN })).body;
  const resolve = detail.transitions.at(-1);
  assert.deepEqual([resolve.kind, resolve.actor, resolve.content.reason], ['resolved', 'ttl', 'resolve_after']);
  // The source fires again later: a new episode, a new incident.io alert.
  await fire();
  await waitFor('a new alert', async () => (await emu.alerts()).filter((a) => a.status === 'firing').length === 1);
});

test('a route\'s resolve_after applies to its alerts only; a reload that adds the source\'s applies to alerts already open', async () => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const routes = [{ match: { team: 'logs' }, to: 'oncall', resolve_after: '2s' }, { to: 'oncall' }];
  const config = (sourceTtl?: string) =>
    gatewayConfig(emu, dir, port, {
      sources: { app: { type: 'alerts', token: APP_TOKEN, ...(sourceTtl ? { resolve_after: sourceTtl } : {}) } },
      routes,
      delivery: { poll_interval: '100ms' },
    });
  const path = writeConfig(dir, config());
  const t = await startTocsin(path, { port });
  cleanups.push(() => t.kill('SIGKILL'));
  const fire = (key: string, team: string) => http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: `errors of ${team}`, dedup_key: key, metadata: { team } } });
  assert.equal((await fire('logs-errors', 'logs')).status, 202);
  assert.equal((await fire('db-errors', 'db')).status, 202);
  const status = async (key: string) => (await emu.alerts()).find((a) => a.deduplication_key.endsWith(key))?.status;
  await waitFor('both firing', async () => (await status('logs-errors')) === 'firing' && (await status('db-errors')) === 'firing');
  await waitFor('the route\'s alert resolved', async () => (await status('logs-errors')) === 'resolved', 5000, 50);
  await new Promise((res) => setTimeout(res, 1500));
  assert.equal(await status('db-errors'), 'firing', 'the other route has no resolve_after');
  // The source now says 1s: the open alert, silent for longer already, is resolved soon after the reload.
  writeConfig(dir, config('1s'));
  assert.equal((await http('POST', `${t.url}/-/reload`, { token: ADMIN_TOKEN })).status, 200);
  await waitFor('resolved after the reload', async () => (await status('db-errors')) === 'resolved', 3000, 50);
});
