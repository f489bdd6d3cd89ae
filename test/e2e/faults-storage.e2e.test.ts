/**
 * Storage faults (§1b): the database locked by another process for longer than tocsin waits for a lock (2 s, see
 * storage/group-commit.ts), or the disk full, while sends finish and while ingest runs — and tocsin started on such a
 * database. tocsin is a real child process on real SQLite; the lock is a second connection holding the write lock,
 * the full disk a small tmpfs filled to the last block (test/disks.ts). tocsin must live through it, answer 503 to
 * ingest meanwhile, and deliver everything it accepted exactly once as incident.io counts it (one alert per key) once
 * storage is back. storage-waits.e2e.test.ts checks that the waiting never blocks, readiness and read-only storage.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { cannotMount, fill, freeSpace as free, smallDisk } from '../disks.ts';
import { storageSuite } from '../storage-suite.ts';
import { ADMIN_TOKEN, APP_TOKEN, CLI, Emulator, freePort, http, ROOT, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { openSqlite } from '../../src/storage/sqlite.ts';

const suite = storageSuite();
const { running, config, start } = suite;
let emu: Emulator;
before(async () => {
  emu = await suite.begin();
});

const alert = (key: string) => ({ title: `Disk pressure ${key}`, dedup_key: key, severity: 'critical' });
const post = (t: { url: string }, key: string) => http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: alert(key) });
async function accept(t: TocsinProcess, keys: string[]): Promise<void> {
  for (const key of keys) assert.equal((await post(t, key)).status, 202);
}
const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const waiting = async () => (await http('GET', `${emu.url}/_emulator/status`)).body.waiting_requests as number;

/** incident.io's count: exactly one alert for each key, and none for keys tocsin refused. */
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

/** Every delivery of these keys delivered, with exactly one recorded attempt: the outcome was recorded once. */
async function recordedOnce(t: TocsinProcess, keys: string[]) {
  const rows: any[] = await waitFor(
    'the held deliveries to be recorded',
    async () => {
      const all = (await http('GET', `${t.url}/api/v1/deliveries?limit=500`, { token: ADMIN_TOKEN })).body.deliveries as any[];
      const ids = new Set(await Promise.all(keys.map(async (k) => (await http('GET', `${t.url}/api/v1/alerts?limit=500`, { token: ADMIN_TOKEN })).body.alerts.find((a: any) => a.dedup_key === k)?.id)));
      const mine = all.filter((d) => ids.has(d.alert_id));
      return mine.length === keys.length && mine.every((d) => d.status === 'delivered') ? mine : undefined;
    },
    30_000,
    300,
  );
  for (const d of rows) {
    const detail = (await http('GET', `${t.url}/api/v1/deliveries/${d.id}`, { token: ADMIN_TOKEN })).body;
    assert.equal(detail.attempts.length, 1, `delivery ${d.id} has ${detail.attempts.length} attempts recorded`);
  }
  const sent = (await emu.requests()).filter((r) => keys.some((k) => r.body?.deduplication_key === `app:${k}`));
  assert.equal(sent.length, keys.length, 'a held send was repeated');
}

function survived(t: TocsinProcess) {
  assert.equal(t.proc.exitCode, null, `tocsin exited:\n${t.output.slice(-20).join('\n')}`);
  assert.equal(t.proc.signalCode, null);
  assert.ok(!t.output.some((l) => /unhandled|uncaught/i.test(l)), 'an unhandled rejection reached the safety net');
}

describe('storage faults while running', () => {
  it('database locked for 7 s while sends finish and ingest runs: 503s, no exit, everything accepted delivered once', async () => {
    const dir = tempDir();
    const t = await start(dir);
    const before = range('lock-before', 5);
    await accept(t, before);
    await deliveredOnce(before, []);

    // Sends in flight: incident.io holds them until the database is locked.
    await emu.pause();
    const held = range('lock-held', 8);
    await accept(t, held);
    await waitFor('the held sends', async () => (await waiting()) === held.length);
    const lock = new BetterSqlite3(join(dir, 'tocsin.db'));
    lock.exec('BEGIN IMMEDIATE');
    const lockedAt = Date.now();
    await emu.resume();

    const statuses = new Map<string, number>();
    let readyDuringLock: number | undefined;
    let metricsDuringLock: number | undefined;
    const release = new Promise<void>((r) =>
      setTimeout(() => {
        lock.exec('ROLLBACK');
        lock.close();
        r();
      }, 7000),
    );
    for (let i = 0; Date.now() - lockedAt < 6000; i++) {
      const key = `lock-during-${i}`;
      const r = await post(t, key);
      statuses.set(key, r.status);
      if (r.status === 503) assert.equal(r.body.error.code, 'unavailable');
      if (i === 0) {
        readyDuringLock = (await http('GET', `${t.url}/readyz`)).status;
        metricsDuringLock = (await http('GET', `${t.url}/metrics`)).status;
      }
    }
    await release;

    assert.ok([...statuses.values()].every((s) => s === 202 || s === 503), `ingest answered ${[...statuses.values()]}`);
    assert.equal(statuses.get('lock-during-0'), 503, 'ingest during the lock was not refused');
    assert.equal(readyDuringLock, 503);
    assert.equal(metricsDuringLock, 200);
    const accepted = [...statuses].filter(([, s]) => s === 202).map(([k]) => k);
    const refused = [...statuses].filter(([, s]) => s === 503).map(([k]) => k);

    await waitFor('ready again', async () => (await http('GET', `${t.url}/readyz`)).status === 200, 15_000, 200);
    const after = range('lock-after', 3);
    await accept(t, after);
    await deliveredOnce([...before, ...held, ...accepted, ...after], refused);
    await recordedOnce(t, held);
    survived(t);
    assert.ok(t.output.some((l) => l.includes('recording the delivery outcome failed; retrying')), 'the bookkeeping commit never failed: the test did not test it');
    assert.ok(t.output.some((l) => l.includes('recording the delivery outcome: storage is back')));
    await t.kill();
  });

  it('disk full while sends finish and ingest runs: 503s, no exit, everything accepted delivered once after space is freed', { skip: cannotMount }, async () => {
    const dir = smallDisk(8 * 1024);
    const t = await start(dir);
    const before = range('full-before', 5);
    await accept(t, before);
    await deliveredOnce(before, []);

    await emu.pause();
    const held = range('full-held', 8);
    await accept(t, held);
    await waitFor('the held sends', async () => (await waiting()) === held.length);
    fill(dir);
    await emu.resume();

    const refused = range('full-during', 5);
    for (const key of refused) {
      const r = await post(t, key);
      assert.equal(r.status, 503, `ingest on a full disk answered ${r.status}: ${r.text}`);
      assert.equal(r.body.error.code, 'unavailable');
    }
    const ready = await http('GET', `${t.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(ready.body.reason, /full/);
    // The management API too: our database, not our bug — a 503 to retry, never a 500.
    const firstAlert = (await http('GET', `${t.url}/api/v1/alerts?limit=500`, { token: ADMIN_TOKEN })).body.alerts.find((a: any) => a.dedup_key === before[0]);
    const ack = await http('POST', `${t.url}/api/v1/alerts/${firstAlert.id}/acknowledge`, { token: ADMIN_TOKEN });
    assert.equal(ack.status, 503, ack.text);
    assert.equal(ack.body.error.code, 'unavailable');
    assert.equal((await http('GET', `${t.url}/metrics`)).status, 200);
    await waitFor('the bookkeeping to fail', () => t.output.some((l) => l.includes('recording the delivery outcome failed; retrying')));

    free(dir);
    await waitFor('ready again', async () => (await http('GET', `${t.url}/readyz`)).status === 200, 15_000, 200);
    const after = range('full-after', 3);
    await accept(t, after);
    await deliveredOnce([...before, ...held, ...after], refused);
    await recordedOnce(t, held);
    survived(t);
    await t.kill();
  });
});

/** `tocsin start` without waiting for readiness: it is not ready while storage is not, which is the point here. */
function spawnTocsin(configPath: string, port: number): TocsinProcess {
  const output: string[] = [];
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'start', '--config', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [proc.stdout, proc.stderr]) {
    let buf = '';
    stream.on('data', (c: Buffer) => {
      const lines = (buf + c.toString()).split('\n');
      buf = lines.pop()!;
      output.push(...lines);
    });
  }
  const exit = new Promise<void>((r) => proc.once('exit', () => r()));
  const t: TocsinProcess = {
    url: `http://127.0.0.1:${port}`,
    proc,
    output,
    configPath,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      await exit;
    },
  };
  running.push(t);
  return t;
}

describe('starting on storage that is not available', () => {
  /** While it waits: alive, /healthz 200, /readyz 503, ingest and the API 503 — never an exit to crash-loop on. */
  async function waitsForStorage(t: TocsinProcess, reason: RegExp) {
    await waitFor('the start-up retry log line', () => t.output.some((l) => l.includes('storage unavailable at start')), 30_000);
    assert.equal((await http('GET', `${t.url}/healthz`)).status, 200);
    const ready = await http('GET', `${t.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(ready.body.reason, reason);
    const r = await post(t, 'while-starting');
    assert.equal(r.status, 503);
    assert.equal(r.body.error.code, 'unavailable');
    assert.ok(r.headers['retry-after']);
    assert.equal((await http('GET', `${t.url}/api/v1/alerts`, { token: ADMIN_TOKEN })).status, 503);
    survived(t);
  }

  async function comesUp(t: TocsinProcess, key: string) {
    await waitFor('ready after storage came back', async () => (await http('GET', `${t.url}/readyz`)).status === 200, 30_000, 200);
    await accept(t, [key]);
    await deliveredOnce([key], ['while-starting']);
    survived(t);
    await t.kill();
  }

  it('a locked database: waits, then comes up by itself when the lock is gone', async () => {
    const dir = tempDir();
    // A database from an earlier run, now locked by another process.
    await (await openSqlite({ path: join(dir, 'tocsin.db') })).destroy();
    const lock = new BetterSqlite3(join(dir, 'tocsin.db'));
    lock.exec('BEGIN IMMEDIATE');
    const port = await freePort();
    const t = spawnTocsin(writeConfig(dir, config(dir, port)), port);
    try {
      await waitsForStorage(t, /database is locked/);
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    await comesUp(t, 'after-lock');
  });

  it('a full disk: waits, then comes up by itself when space is freed', { skip: cannotMount }, async () => {
    const dir = smallDisk(1024);
    mkdirSync(join(dir, 'data'));
    fill(dir);
    const port = await freePort();
    const cfg = { ...config(dir, port), storage: { sqlite: join(dir, 'data', 'tocsin.db') } };
    const t = spawnTocsin(writeConfig(tempDir(), cfg), port);
    await waitsForStorage(t, /full|disk/);
    await new Promise((r) => setTimeout(r, 2000));
    survived(t);
    free(dir);
    await comesUp(t, 'after-full');
  });
});
