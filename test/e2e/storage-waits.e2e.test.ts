/**
 * Waiting on storage never stops tocsin (issue 13): a database locked by another process must not freeze the event
 * loop (SQLite's busy wait is synchronous), readiness must say whether tocsin can write even with no traffic, and a
 * database that turns read-only must be a 503 (never a 202 or a 500) that heals by itself. tocsin runs as a real
 * child process on real SQLite; the lock is a second connection holding the write lock, the disks are real mounts
 * (test/disks.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { cannotMount, ext4Disk, fill, freeSpace, immutable, remount, smallDisk } from '../disks.ts';
import { storageSuite } from '../storage-suite.ts';
import { ADMIN_TOKEN, APP_TOKEN, CLI, Emulator, freePort, http, ROOT, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const suite = storageSuite();
const { running, config, start } = suite;
let emu: Emulator;
before(async () => {
  emu = await suite.begin();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const post = (t: { url: string }, key: string) => http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: `Storage ${key}`, dedup_key: key, severity: 'critical' } });
async function accept(t: TocsinProcess, keys: string[]): Promise<void> {
  for (const key of keys) assert.equal((await post(t, key)).status, 202, key);
}
async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}
const readiness = async (t: TocsinProcess) => (await http('GET', `${t.url}/readyz`)).status;

/** incident.io's count: one alert for each accepted key, none for a refused one. */
async function deliveredOnce(accepted: string[], refused: string[]) {
  await waitFor(
    'every accepted alert in incident.io',
    async () => {
      const keys = new Set((await emu.alerts()).map((a) => a.deduplication_key));
      return accepted.every((k) => keys.has(`app:${k}`));
    },
    30_000,
    200,
  );
  const alerts = await emu.alerts();
  for (const key of accepted) assert.equal(alerts.filter((a) => a.deduplication_key === `app:${key}`).length, 1, `alerts for ${key}`);
  for (const key of refused) assert.equal(alerts.filter((a) => a.deduplication_key === `app:${key}`).length, 0, `${key} was refused but delivered`);
}

function survived(t: TocsinProcess) {
  assert.equal(t.proc.exitCode, null, `tocsin exited:\n${t.output.slice(-20).join('\n')}`);
  assert.ok(!t.output.some((l) => /unhandled|uncaught/i.test(l)), 'an unhandled rejection reached the safety net');
}

/** Ingest while storage takes no writes: 503 `unavailable` with Retry-After, answered at once — never 202 or 500. */
async function refusedQuickly(t: TocsinProcess, key: string, withinMs: number): Promise<number> {
  const { ms, value: r } = await timed(() => post(t, key));
  assert.equal(r.status, 503, `ingest answered ${r.status}: ${r.text}`);
  assert.equal(r.body.error.code, 'unavailable');
  assert.ok(r.headers['retry-after']);
  assert.ok(ms < withinMs, `ingest took ${Math.round(ms)} ms to answer 503`);
  return ms;
}

describe('storage waits never block tocsin', () => {
  it('database locked 7 s by another process: /healthz and the API stay fast, readiness drops with no traffic, ingest 503s promptly, and everything accepted is delivered', async () => {
    const dir = tempDir();
    const t = await start(dir);
    const early = range('lock-early', 3);
    await accept(t, early);
    await deliveredOnce(early, []);

    const lock = new BetterSqlite3(join(dir, 'tocsin.db'));
    lock.exec('BEGIN IMMEDIATE');
    const lockedAt = Date.now();
    const released = sleep(7000).then(() => (lock.exec('ROLLBACK'), lock.close()));

    // Probes and reads all through the lock: the event loop must never stand still for SQLite's busy wait.
    const samples: { path: string; ms: number; status: number }[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const [path, token] of [['/healthz'], ['/api/v1/alerts?limit=5', ADMIN_TOKEN], ['/metrics']] as const) {
          const { ms, value } = await timed(() => http('GET', `${t.url}${path}`, { token }));
          samples.push({ path, ms, status: value.status });
        }
        await sleep(100);
      }
    })();

    // No ingest yet: readiness finds out by itself (a background probe write).
    const notReady = await waitFor('not ready while locked, with no traffic', async () => {
      const r = await http('GET', `${t.url}/readyz`);
      return r.status === 503 ? r : undefined;
    }, 6000, 100);
    assert.match(notReady.body.reason, /locked/);

    // A lock outlasting the wait budget (2 s): 503 within it, not after SQLite's 5 s, never a 500.
    const refused: string[] = [];
    const refusedIn: number[] = [];
    // A management write meanwhile: the same 503 to retry, never a 500.
    const alertId = (await http('GET', `${t.url}/api/v1/alerts?limit=50`, { token: ADMIN_TOKEN })).body.alerts.find((a: any) => a.dedup_key === early[0]).id;
    const ack = timed(() => http('POST', `${t.url}/api/v1/alerts/${alertId}/acknowledge`, { token: ADMIN_TOKEN }));
    for (let i = 0; Date.now() - lockedAt < 4500; i++) {
      refused.push(`lock-during-${i}`);
      refusedIn.push(await refusedQuickly(t, `lock-during-${i}`, 3500));
    }
    assert.ok(refused.length >= 1);
    const acked = await ack;
    assert.equal(acked.value.status, 503, acked.value.text);
    assert.equal(acked.value.body.error.code, 'unavailable');
    assert.ok(acked.ms < 3500, `the acknowledgement took ${Math.round(acked.ms)} ms to answer 503`);
    // Sent a second before the lock goes: it waits (asynchronously) for the lock and is accepted once it clears.
    await sleep(Math.max(0, lockedAt + 6000 - Date.now()));
    const straddling = await timed(() => post(t, 'lock-straddling'));
    assert.equal(straddling.value.status, 202, straddling.value.text);
    await released;
    watching = false;
    await watcher;

    const slow = samples.filter((s) => s.ms >= 200 || s.status !== 200);
    assert.ok(samples.length >= 20, `only ${samples.length} samples`);
    assert.deepEqual(slow, [], `answers during the lock (of ${samples.length}): ${JSON.stringify(slow)}`);
    const worst = Math.max(...samples.map((s) => s.ms));
    console.log(`during a 7 s lock: ${samples.length} GETs of /healthz, /api/v1/alerts, /metrics, slowest ${worst.toFixed(1)} ms; ingest refused after ${refusedIn.map(Math.round).join(', ')} ms, the request straddling the release accepted after ${Math.round(straddling.ms)} ms`);

    await waitFor('ready again', async () => (await readiness(t)) === 200, 10_000, 100);
    const late = range('lock-late', 3);
    await accept(t, late);
    await deliveredOnce([...early, 'lock-straddling', ...late], refused);
    survived(t);
    await t.kill();
  });

  it('disk nearly full: not ready before writes fail, with no traffic; full: 503; freed: ready again by itself', { skip: cannotMount }, async () => {
    const dir = smallDisk(16 * 1024);
    const t = await start(dir);
    const early = range('disk-early', 3);
    await accept(t, early);

    // 16 MiB disk: not ready below 5 % (0.8 MiB) free. Leave 0.3 MiB: writes still work.
    fill(dir, 300);
    const nearly = await waitFor('not ready on a nearly full disk', async () => {
      const r = await http('GET', `${t.url}/readyz`);
      return r.status === 503 ? r : undefined;
    }, 5000, 100);
    assert.match(nearly.body.reason, /nearly full/);
    const stillStored = ['disk-nearly-full'];
    await accept(t, stillStored);

    fill(dir);
    for (let i = 0; i < 3; i++) await refusedQuickly(t, `disk-full-${i}`, 1000);
    assert.equal(await readiness(t), 503);

    freeSpace(dir);
    await waitFor('ready again after space is freed', async () => (await readiness(t)) === 200, 10_000, 100);
    const late = range('disk-late', 2);
    await accept(t, late);
    await deliveredOnce([...early, ...stillStored, ...late], range('disk-full', 3));
    survived(t);
    await t.kill();
  });

  it('database files read-only while running (immutable on ext4): 503 never 202 or 500, readiness drops with no traffic, heals by itself, nothing accepted lost', { skip: cannotMount }, async () => {
    const dir = ext4Disk(64);
    const t = await start(dir);
    const early = range('ro-early', 3);
    await accept(t, early);
    await deliveredOnce(early, []);

    // Sends in flight when the files turn read-only: their outcomes are kept until they can be recorded.
    await emu.pause();
    const held = range('ro-held', 4);
    await accept(t, held);
    await waitFor('the held sends', async () => (await http('GET', `${emu.url}/_emulator/status`)).body.waiting_requests === held.length);
    const files = [join(dir, 'tocsin.db'), join(dir, 'tocsin.db-wal')];
    immutable(files, true);
    try {
      await emu.resume();
      const notReady = await waitFor('not ready on a read-only database, with no traffic', async () => {
        const r = await http('GET', `${t.url}/readyz`);
        return r.status === 503 ? r : undefined;
      }, 6000, 100);
      assert.match(notReady.body.reason, /I\/O|read-?only/i);
      const refused = range('ro-during', 4);
      for (const key of refused) await refusedQuickly(t, key, 1000);
      const alert = (await http('GET', `${t.url}/api/v1/alerts?limit=50`, { token: ADMIN_TOKEN })).body.alerts.find((a: any) => a.dedup_key === early[0]);
      const ack = await http('POST', `${t.url}/api/v1/alerts/${alert.id}/acknowledge`, { token: ADMIN_TOKEN });
      assert.equal(ack.status, 503, ack.text);
      assert.equal((await http('GET', `${t.url}/healthz`)).status, 200);

      immutable(files, false);
      await waitFor('ready again once the database is writable', async () => (await readiness(t)) === 200, 10_000, 100);
      const late = range('ro-late', 2);
      await accept(t, late);
      await deliveredOnce([...early, ...held, ...late], refused);
      survived(t);
    } finally {
      immutable(files, false);
    }
    await t.kill();
  });

  it('started on a read-only filesystem after a crash: waits with 503s, then comes up when remounted read-write and delivers what it had accepted', { skip: cannotMount }, async () => {
    const dir = smallDisk(16 * 1024);
    const port = await freePort();
    const configPath = writeConfig(tempDir(), config(dir, port));
    const first = await startTocsin(configPath, { port });
    running.push(first);
    // Accepted, not yet delivered, and then the process dies.
    await emu.pause();
    const accepted = range('rofs-accepted', 3);
    await accept(first, accepted);
    await first.kill('SIGKILL');
    await emu.resume();
    remount(dir, 'ro');

    const output: string[] = [];
    const proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'start', '--config', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [proc.stdout, proc.stderr]) stream.on('data', (c: Buffer) => output.push(...c.toString().split('\n')));
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const t: TocsinProcess = { url: `http://127.0.0.1:${port}`, proc, output, configPath, kill: async (s = 'SIGTERM') => void (proc.exitCode === null && proc.signalCode === null && (proc.kill(s), await exited)) };
    running.push(t);
    try {
      await waitFor('the start-up retry log line', () => output.some((l) => l.includes('storage unavailable at start')), 30_000);
      assert.equal((await http('GET', `${t.url}/healthz`)).status, 200);
      assert.equal(await readiness(t), 503);
      const refused = range('rofs-during', 3);
      for (const key of refused) await refusedQuickly(t, key, 1000);
      survived(t);
      remount(dir, 'rw');
      await waitFor('ready after the remount', async () => (await readiness(t)) === 200, 30_000, 200).catch(async (e) => {
        throw new Error(`${(e as Error).message}\n${(await http("GET", `${t.url}/readyz`)).text}\n${output.filter((l) => !l.includes(`"msg":"request"`)).slice(-8).join('\n')}`);
      });
      const late = ['rofs-late'];
      await accept(t, late);
      await deliveredOnce([...accepted, ...late], refused);
      survived(t);
    } finally {
      remount(dir, 'rw');
    }
    await t.kill();
  });
});
