/**
 * Scheduled SQL alert queries (issue 10) through the real binary, the incident.io emulator and a real PostgreSQL:
 * rows fire (one alert per group), groups that go away resolve, a failing query raises its own alert and resolves it
 * at the next success, a statement past its timeout is a timeout in run history, and the database url's password
 * shows nowhere. Then a SQLite database and a SIGKILL mid-schedule: every slot runs once, none is run twice, and the
 * next slot after the restart is not skipped.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ADMIN_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { freshPostgres } from '../postgres.ts';
import { tocsin } from './cli-helpers.ts';

const PASSWORD = 'Qu3ryS3cretPw';
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface RunView {
  slot: string;
  outcome: string;
  rows: number | null;
  error: string | null;
  started_at: string;
  duration_ms: number | null;
}
const queriesOf = async (t: TocsinProcess, runs = 20) => (await http<{ queries: { name: string; next_run_at: string; last_runs: RunView[] }[] }>('GET', `${t.url}/api/v1/queries?runs=${runs}`, { token: ADMIN_TOKEN })).body.queries;
const runsOf = async (t: TocsinProcess, name: string, runs = 20) => (await queriesOf(t, runs)).find((q) => q.name === name)!.last_runs;

async function warehouse(): Promise<{ url: string; sql(q: string): Promise<void> }> {
  const fresh = await freshPostgres();
  const admin = new pg.Client({ connectionString: fresh.url });
  await admin.connect();
  const role = `alerts_${process.pid}_${Date.now().toString(36)}`;
  await admin.query(`create table orders (id int, region text, stale boolean); create table flag (on_ int);
    create role ${role} login password '${PASSWORD}'; grant select on orders, flag to ${role}`);
  cleanups.push(async () => {
    await admin.end();
    await fresh.drop();
    const server = new pg.Client({ connectionString: fresh.url.replace(/\/[^/]*$/, '/postgres') });
    await server.connect();
    await server.query(`drop role if exists ${role}`).finally(() => server.end());
  });
  const u = new URL(fresh.url);
  u.username = role;
  u.password = PASSWORD;
  return { url: u.toString(), sql: async (q) => void (await admin.query(q)) };
}

test('PostgreSQL queries fire per group, resolve, time out, fail and alert, and never show the password', { timeout: 90_000 }, async () => {
  const wh = await warehouse();
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const queries = [
    { name: 'stale-orders', database: 'warehouse', sql: 'select region, count(*) as stale from orders where stale group by region order by region', every: '1s', group_by: ['region'], severity: 'warning', title: 'Stale orders in {{region}}', max_rows: 100, timeout: '5s' },
    // Division by zero while flag is empty: a failing query, until a row in flag makes it run (and return nothing).
    { name: 'flaky', database: 'warehouse', sql: 'select x from (select 1 / count(*) as x from flag) t where x > 5', every: '1s', alert_after_failures: 2 },
    { name: 'slow', database: 'warehouse', sql: 'select pg_sleep(3)', every: '1s', timeout: '300ms', alert_after_failures: 1000 },
  ];
  const config = gatewayConfig(emu, dir, port, {
    log_level: 'debug',
    delivery: { poll_interval: '100ms' },
    databases: { warehouse: { url: '${WAREHOUSE_URL}' } },
    queries,
  });
  const configPath = writeConfig(dir, config);
  const t = await startTocsin(configPath, { port, env: { WAREHOUSE_URL: wh.url } });
  cleanups.push(() => t.kill('SIGKILL'));

  await wh.sql(`insert into orders values (1, 'eu', true), (2, 'eu', true), (3, 'us', true), (4, 'apac', false)`);
  const firing = () => emu.alerts().then((a) => a.filter((x) => x.status === 'firing'));
  await waitFor('a firing alert per stale region', async () => (await firing()).filter((a) => a.title.startsWith('Stale orders')).length === 2);
  const eu = (await emu.alerts()).find((a) => a.title === 'Stale orders in eu')!;
  assert.deepEqual(eu.metadata.data, [{ region: 'eu', stale: 2 }]);
  assert.equal(eu.metadata.row_count, 1);
  assert.equal(eu.metadata.query, 'stale-orders');
  assert.ok(eu.deduplication_key.includes('stale-orders:region=eu'));

  // us is no longer stale: its alert resolves; eu's stays open.
  await wh.sql(`update orders set stale = false where region = 'us'`);
  await waitFor('us resolved', async () => (await emu.alerts()).find((a) => a.title === 'Stale orders in us')?.status === 'resolved');
  assert.equal((await emu.alerts()).find((a) => a.title === 'Stale orders in eu')!.status, 'firing');

  // flaky fails twice in a row: its own alert, with the database's error; a success resolves it.
  await waitFor('the failure alert', async () => (await firing()).some((a) => a.title === 'Query flaky is failing'));
  const failing = (await firing()).find((a) => a.title === 'Query flaky is failing')!;
  assert.match(String(failing.metadata.last_error), /division by zero/);
  await wh.sql('insert into flag values (1)');
  await waitFor('the failure alert resolved', async () => (await emu.alerts()).find((a) => a.title === 'Query flaky is failing')?.status === 'resolved');

  // The statement timeout: slow is canceled by the server at 300 ms, every run, and says so in run history.
  // (A run that starts late on a busy machine can still be going at the next slot: that one is `skipped`.)
  const finishedOf = (runs: RunView[]) => runs.filter((r) => ['ok', 'failed', 'timeout'].includes(r.outcome));
  const slow = await waitFor('two finished runs of slow', async () => {
    const runs = await runsOf(t, 'slow');
    return finishedOf(runs).length >= 2 ? runs : undefined;
  });
  const finished = finishedOf(slow);
  assert.ok(finished.every((r) => r.outcome === 'timeout'), JSON.stringify(slow));
  assert.ok(finished.every((r) => r.duration_ms! < 2_000), 'canceled at the timeout, not after pg_sleep');

  // Nothing stale any more: everything resolves; history shows each run.
  await wh.sql('update orders set stale = false');
  await waitFor('eu resolved', async () => (await emu.alerts()).find((a) => a.title === 'Stale orders in eu')?.status === 'resolved');
  const q = (await queriesOf(t)).find((x) => x.name === 'stale-orders')!;
  assert.ok(Date.parse(q.next_run_at) > Date.now() - 1_000);
  assert.ok(q.last_runs.some((r) => r.outcome === 'ok' && r.rows === 2) && q.last_runs.some((r) => r.outcome === 'ok' && r.rows === 0));

  // The CLI: the gateway's list, and a local run that prints rows and what it would send.
  await wh.sql(`update orders set stale = true where region = 'apac'`);
  const list = await tocsin(['queries', '--gateway', t.url, '--admin-token', ADMIN_TOKEN]);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /stale-orders\s+warehouse\s+every 1s/);
  assert.match(list.out, /slow .*(timeout|running)/);
  const local = await tocsin(['queries', 'run', 'stale-orders', '--config', configPath], { WAREHOUSE_URL: wh.url });
  assert.equal(local.code, 0, local.err);
  assert.match(local.out, /1 row/);
  assert.match(local.out, /firing\s+stale-orders:region=apac\s+Stale orders in apac/);
  const localJson = JSON.parse((await tocsin(['queries', 'run', 'stale-orders', '--config', configPath, '--json'], { WAREHOUSE_URL: wh.url })).out);
  assert.deepEqual(localJson.rows, [{ region: 'apac', stale: 1 }]);

  // The password is nowhere: not in tocsin's logs (debug level), the API, the CLI, or what incident.io got.
  const api = (await http('GET', `${t.url}/api/v1/queries?runs=100`, { token: ADMIN_TOKEN })).text;
  const alerts = (await http('GET', `${t.url}/api/v1/alerts?limit=100`, { token: ADMIN_TOKEN })).text;
  const sent = JSON.stringify(await emu.requests());
  for (const [where, text] of Object.entries({ logs: t.output.join('\n'), api, alerts, sent, list: list.out + list.err, local: local.out + local.err })) {
    assert.ok(!text.includes(PASSWORD), `the password shows in ${where}`);
  }
  assert.match(api, /postgres(ql)?:\/\/\*\*\*@127\.0\.0\.1/, 'the url is shown masked');

  // apac is stale now; a reload that removes the query resolves its open alert (nothing else ever would).
  await waitFor('apac firing', async () => (await emu.alerts()).find((a) => a.title === 'Stale orders in apac')?.status === 'firing');
  writeConfig(dir, { ...config, queries: queries.filter((x) => x.name !== 'stale-orders') });
  const reloaded = await http('POST', `${t.url}/-/reload`, { token: ADMIN_TOKEN });
  assert.equal(reloaded.status, 200, reloaded.text);
  await waitFor('apac resolved once its query is gone', async () => (await emu.alerts()).find((a) => a.title === 'Stale orders in apac')?.status === 'resolved');
  assert.deepEqual((await queriesOf(t)).map((x) => x.name), ['flaky', 'slow']);
});

test('SQLite query database; a kill mid-schedule and a restart run every slot once and skip none', { timeout: 90_000 }, async (ctx) => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const data = join(mkdtempSync(join(tmpdir(), 'tocsin-qdata-')), 'app.db');
  const w = new Database(data);
  w.exec(`create table jobs (id integer, state text); insert into jobs values (1, 'stuck'), (2, 'ok')`);
  const port = await freePort();
  const config = gatewayConfig(emu, dir, port, {
    delivery: { poll_interval: '100ms' },
    databases: { app: { url: `sqlite:${data}` } },
    // ≈ 0.5–1 s of work per run, so the kill below can land while one is in flight.
    queries: [{ name: 'stuck-jobs', database: 'app', sql: `select id from jobs where state = 'stuck' and (with recursive c(x) as (select 1 union all select x + 1 from c where x < 1500000) select count(*) from c) > 0`, every: '2s', severity: 'error', title: '{{id}} job(s) stuck' }],
  });
  const configPath = writeConfig(dir, config);
  let t = await startTocsin(configPath, { port });
  cleanups.push(() => t.kill('SIGKILL'));
  await waitFor('firing in incident.io', async () => (await emu.alerts())[0]?.status === 'firing');
  assert.equal((await emu.alerts())[0]!.title, '1 job(s) stuck');

  // Kill while a run is in flight.
  await waitFor('three runs', async () => (await runsOf(t, 'stuck-jobs')).length >= 3, 15_000);
  await waitFor('a run in flight', async () => (await runsOf(t, 'stuck-jobs', 1))[0]?.outcome === 'running', 10_000, 20);
  await t.kill('SIGKILL');
  const killedAt = Date.now();
  // Stay down over a couple of slots, then start again.
  await new Promise((r) => setTimeout(r, 4_000));
  t = await startTocsin(configPath, { port });
  const restartedAt = Date.now();
  await waitFor('three runs after the restart', async () => (await runsOf(t, 'stuck-jobs', 100)).filter((r) => Date.parse(r.started_at) >= restartedAt - 5_000 && Date.parse(r.slot) > killedAt).length >= 3, 25_000);

  const runs = (await runsOf(t, 'stuck-jobs', 100)).reverse();
  const slots = runs.map((r) => Date.parse(r.slot));
  assert.equal(new Set(slots).size, slots.length, 'one run per slot');
  assert.ok(runs.every((r) => r.outcome !== 'running' || r === runs.at(-1) || r === runs.at(-2)), JSON.stringify(runs));
  // Before the kill, and after the restart, every second has its run; the gap is the time tocsin was down.
  const after = slots.filter((s) => s > killedAt);
  const before = slots.filter((s) => s <= killedAt);
  for (const list of [before, after]) for (let i = 1; i < list.length; i++) assert.equal(list[i]! - list[i - 1]!, 2_000, `consecutive slots: ${list.map((s) => new Date(s).toISOString()).join(' ')}`);
  // The first slot after the restart is the one due when it came up (not skipped, not replayed from before).
  const firstAfter = runs.find((r) => Date.parse(r.slot) > killedAt)!;
  assert.ok(Date.parse(firstAfter.started_at) - Date.parse(firstAfter.slot) < 6_000, JSON.stringify(firstAfter));
  // A run the kill cut off is interrupted, for good.
  const cut = runs.filter((r) => r.outcome === 'interrupted');
  assert.equal(cut.length, 1, JSON.stringify(runs));
  assert.ok(Date.parse(cut[0]!.slot) <= killedAt && Date.parse(cut[0]!.slot) > killedAt - 2_000, 'the slot the kill cut off, never run again');
  ctx.diagnostic(`runs: ${before.length} before the kill, ${after.length} after the restart; interrupted by the kill: ${cut.length}`);
  // incident.io saw one alert, opened once: repeats of unchanged rows and the restart sent nothing new.
  const [alert] = await emu.alerts();
  assert.equal(alert!.events, 1);

  // The stuck job is dealt with: resolved.
  w.exec(`update jobs set state = 'ok'`);
  w.close();
  await waitFor('resolved in incident.io', async () => (await emu.alerts())[0]?.status === 'resolved');
});
