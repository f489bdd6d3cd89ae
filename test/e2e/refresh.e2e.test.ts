/**
 * `refresh_after` (issue 9): incident.io groups alert events into an incident only within a rolling 48 h window, so an
 * alert that keeps firing is sent again, same key, current state, once its last delivery is that old. A resolved one
 * is not. Shown with refresh_after: 2s against the emulator, which counts what it received.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig } from '../harness.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

test('a firing alert is sent again every refresh_after with the same key; a resolved one is not', async () => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const base = gatewayConfig(emu, dir, port, { delivery: { poll_interval: '100ms' } });
  const oncall = (base.destinations as Record<string, Record<string, unknown>>).oncall!;
  const t = await startTocsin(writeConfig(dir, { ...base, destinations: { oncall: { ...oncall, refresh_after: '2s' } } }), { port });
  cleanups.push(() => t.kill('SIGKILL'));
  const send = (key: string, status: string) => http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: `disk full on ${key}`, dedup_key: key, status } });
  assert.equal((await send('db-1', 'firing')).status, 202);
  assert.equal((await send('web-1', 'firing')).status, 202);
  const events = async (key: string) =>
    (await emu.requests('/v2/alert_events'))
      .filter((r) => r.status === 202 && String(r.body?.deduplication_key).endsWith(`:${key}`))
      .map((r) => ({ status: r.body.status as string, key: r.body.deduplication_key as string, title: r.body.title as string }));
  await waitFor('both firing in incident.io', async () => (await events('db-1')).length === 1 && (await events('web-1')).length === 1);
  assert.equal((await send('web-1', 'resolved')).status, 202);
  await waitFor('web-1 resolved', async () => (await events('web-1')).length === 2);
  const started = Date.now();
  // Two refreshes of db-1: at about 2 s and 4 s after its first delivery.
  await waitFor('db-1 sent twice more', async () => (await events('db-1')).length >= 3, 8000, 100);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 2000, `the second refresh came ${elapsed} ms after the first one was due: not before refresh_after`);
  const db = await events('db-1');
  assert.deepEqual(new Set(db.map((e) => e.status)), new Set(['firing']));
  assert.equal(new Set(db.map((e) => e.key)).size, 1, 'the same deduplication key every time');
  assert.equal((await emu.alerts()).filter((a) => a.status === 'firing').length, 1, 'one alert in incident.io, still firing');
  const web = await events('web-1');
  assert.deepEqual(web.map((e) => e.status), ['firing', 'resolved'], 'the resolved alert is never sent again');
});
