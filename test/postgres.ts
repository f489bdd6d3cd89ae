/**
 * A real PostgreSQL for tests, on loopback. `npm test` starts one server for the whole run (scripts/test.sh runs
 * this file with --start and exports TOCSIN_TEST_POSTGRES); a test file run on its own starts one for itself and
 * stops it when it exits. Each test gets a database of its own (`freshPostgres`).
 *
 * Debian's server: initdb refuses root, so the cluster belongs to the `postgres` user, in a temporary folder.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const ENV = 'TOCSIN_TEST_POSTGRES';

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin/initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL is not installed: `npm test` installs it (apt-get install postgresql), or install it yourself');
  return join(root, newest, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** The server's owner runs its programs: root may not, and the `postgres` user exists wherever the package is. */
function asOwner(cmd: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' }) : spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
}

export interface TestServer {
  /** `postgres://postgres@127.0.0.1:<port>` (trust authentication, loopback only). */
  base: string;
  /** The folder holding the cluster, its socket and its log. */
  dir: string;
  /** An outage: the server goes down (`immediate`: as if it crashed; `fast`: a clean shutdown), keeping its data. */
  down(mode?: 'immediate' | 'fast'): void;
  /** Back on the same port, with the same data. */
  up(): void;
  stop(): void;
}

/** Stops the server whose folder is `dir`, at once, and removes the folder. */
export function stopServer(dir: string): void {
  try {
    // A test may have left it down already (an outage it made).
    if (existsSync(join(dir, 'data', 'postmaster.pid'))) asOwner(join(binDir(), 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts a throwaway server. Durability settings are off (fsync, synchronous_commit): tests kill tocsin, never the
 * server's machine, and these make a run minutes shorter. bench/cluster.ts starts its own with them on.
 */
export async function startServer(opts: { durable?: boolean } = {}): Promise<TestServer> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-pg-'));
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const data = join(dir, 'data');
  asOwner(join(bin, 'initdb'), ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const settings = ['-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=400', '-c', 'shared_buffers=64MB'];
  if (!opts.durable) settings.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const up = () => asOwner(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-o', settings.join(' '), '-w', 'start']);
  up();
  let stopped = false;
  return {
    base: `postgres://postgres@127.0.0.1:${port}`,
    dir,
    down: (mode = 'immediate') => asOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', mode, '-w', 'stop']),
    up,
    stop() {
      if (stopped) return;
      stopped = true;
      stopServer(dir);
    },
  };
}

let own: Promise<TestServer> | undefined;

/** The run's server (TOCSIN_TEST_POSTGRES), or one of this process's own, stopped when it exits. */
export async function postgresBase(): Promise<string> {
  if (process.env[ENV]) return process.env[ENV]!;
  own ??= startServer().then((s) => {
    process.once('exit', () => s.stop());
    return s;
  });
  return (await own).base;
}

let made = 0;

/** A new, empty database on the test server; its URL. Dropped with the server (or by `drop`). */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = await postgresBase();
  const name = `tocsin_${process.pid}_${++made}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: `${base}/${name}`,
    async drop() {
      const c = new pg.Client({ connectionString: `${base}/postgres` });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

// scripts/test.sh: `node --import tsx test/postgres.ts --start` starts a server for a whole test run and prints the
// shell lines that export its URL and folder; `--stop <folder>` stops it.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const at = process.argv.indexOf('--stop');
  if (at > 0) stopServer(process.argv[at + 1]!);
  else if (process.argv.includes('--start')) {
    const s = await startServer();
    process.stdout.write(`export ${ENV}='${s.base}' ${ENV}_DIR='${s.dir}'\n`);
  }
}
