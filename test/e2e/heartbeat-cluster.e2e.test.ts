/**
 * Heartbeats with two instances on one PostgreSQL: a ping to either counts, the missed alert is raised once (by the
 * holder of the scheduler lease), and when that holder is killed the other carries on with the same clock and the
 * same alert: resolved once, never raised twice.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { freshPostgres } from '../postgres.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const ping = (t: TocsinProcess) => http('POST', `${t.url}/heartbeat/etl`, { token: APP_TOKEN });

test('two instances: pings to either count, the missed alert is raised and resolved once across a kill', async () => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const db = await freshPostgres();
  cleanups.push(() => db.drop());
  const dir = tempDir();
  const start = async () => {
    const port = await freePort();
    const over = { storage: { postgres: db.url }, cluster: { lease_ttl: '2s' }, delivery: { poll_interval: '100ms', retry_base_delay: '100ms' }, heartbeats: { etl: { every: '4s' } } };
    const t = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, over), `tocsin-${port}.yaml`), { port });
    cleanups.push(() => t.kill('SIGKILL'));
    return t;
  };
  const a = await start();
  // The clock started with a: keep pinging it while b starts (which may take longer than a period on a busy machine).
  const keepUp = setInterval(() => void ping(a), 1000);
  void ping(a);
  const b = await start().finally(() => clearInterval(keepUp));
  const events = async () => (await emu.requests()).filter((r) => r.status === 202 && r.body.deduplication_key === 'tocsin:heartbeat:etl').map((r) => r.body.status as string);

  // Alternate pings, to one instance then the other, keep it up for over two periods.
  const until = Date.now() + 9000;
  for (let i = 0; Date.now() < until; i++) {
    assert.equal((await ping(i % 2 ? a : b)).status, 200);
    await new Promise((r) => setTimeout(r, 1500));
  }
  assert.deepEqual(await events(), [], 'never missed while either instance was pinged');

  await waitFor('the missed alert', async () => (await events()).length === 1, 8000);
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(await events(), ['firing'], 'raised once, not by each instance');

  // Kill one (whichever holds the scheduler lease, or not): the other carries on with the same row and alert.
  await a.kill('SIGKILL');
  assert.equal((await ping(b)).status, 200);
  await waitFor('resolved by the survivor', async () => (await events()).join() === 'firing,resolved', 8000);
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(await events(), ['firing', 'resolved']);
});
