/**
 * Alert queries with two instances on one PostgreSQL: only the holder of the scheduler lease runs them, so each slot
 * runs once; when the holder is killed mid-schedule the other takes over and carries on from the next slot — no slot
 * twice, none after the takeover skipped, and incident.io hears of the alert once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { ADMIN_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { freshPostgres } from '../postgres.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface RunView {
  slot: string;
  outcome: string;
  started_at: string;
}
const runsOf = async (t: TocsinProcess) => (await http<{ queries: { last_runs: RunView[] }[] }>('GET', `${t.url}/api/v1/queries?runs=100`, { token: ADMIN_TOKEN })).body.queries[0]!.last_runs.slice().reverse();
const schedulerHolder = async (t: TocsinProcess) => {
  const view = (await http('GET', `${t.url}/api/v1/cluster`, { token: ADMIN_TOKEN })).body;
  return (view.leases as { name: string; held_here: boolean }[]).find((l) => l.name === 'scheduler')?.held_here === true;
};

test('two instances: each slot runs once; a killed scheduler is taken over from the next slot', { timeout: 90_000 }, async (ctx) => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const store = await freshPostgres();
  cleanups.push(() => store.drop());
  const data = join(mkdtempSync(join(tmpdir(), 'tocsin-qdata-')), 'app.db');
  const w = new Database(data);
  w.exec(`create table jobs (id integer, state text); insert into jobs values (1, 'stuck')`);
  w.close();
  const dir = tempDir();
  const start = async () => {
    const port = await freePort();
    const over = {
      storage: { postgres: store.url },
      cluster: { lease_ttl: '2s' },
      delivery: { poll_interval: '100ms' },
      databases: { app: { url: `sqlite:${data}` } },
      queries: [{ name: 'stuck-jobs', database: 'app', sql: `select id from jobs where state = 'stuck'`, every: '1s', title: 'Job {{id}} is stuck' }],
    };
    const t = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, over), `tocsin-${port}.yaml`), { port });
    cleanups.push(() => t.kill('SIGKILL'));
    return t;
  };
  const a = await start();
  const b = await start();
  await waitFor('firing in incident.io', async () => (await emu.alerts())[0]?.status === 'firing', 15_000);
  await waitFor('four runs', async () => (await runsOf(a)).length >= 4, 15_000);
  const [holder, other] = (await schedulerHolder(a)) ? [a, b] : [b, a];
  assert.ok(await schedulerHolder(holder));
  assert.ok(!(await schedulerHolder(other)), 'one scheduler');

  await new Promise((r) => setTimeout(r, 1_000 - (Date.now() % 1_000) + 30));
  await holder.kill('SIGKILL');
  const killedAt = Date.now();
  await waitFor('the other instance holds the scheduler', () => schedulerHolder(other), 10_000);
  await waitFor('three runs after the takeover', async () => (await runsOf(other)).filter((r) => Date.parse(r.slot) > killedAt).length >= 3, 15_000);

  const runs = await runsOf(other);
  const slots = runs.map((r) => Date.parse(r.slot));
  assert.equal(new Set(slots).size, slots.length, 'one run per slot');
  const before = slots.filter((s) => s <= killedAt);
  const afterKill = slots.filter((s) => s > killedAt);
  for (const list of [before, afterKill]) for (let i = 1; i < list.length; i++) assert.equal(list[i]! - list[i - 1]!, 1_000, list.map((s) => new Date(s).toISOString()).join(' '));
  // The takeover is at once on the same machine (the dead holder's pid is gone): the slot due then runs, late or not.
  assert.ok(afterKill[0]! - killedAt < 4_000, `first slot after the kill: ${afterKill[0]! - killedAt} ms later`);
  const interrupted = runs.filter((r) => r.outcome === 'interrupted');
  assert.ok(interrupted.length <= 1 && interrupted.every((r) => Date.parse(r.slot) <= killedAt));
  ctx.diagnostic(`runs: ${before.length} before the kill, ${afterKill.length} after; interrupted: ${interrupted.length}; first slot after the kill ${afterKill[0]! - killedAt} ms after it`);
  const alerts = await emu.alerts();
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.events, 1, 'the same rows, run after run and across the takeover: sent once');
});
