/**
 * The real Prometheus Alertmanager (Debian `prometheus-alertmanager`, 0.25 here) as a child process on loopback, for
 * end-to-end tests: no gossip (`--cluster.listen-address=`), a temp `--storage.path`, its v2 API and metrics.
 * Nothing it is configured with should point beyond 127.0.0.1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, http, tempDir, waitFor } from './harness.ts';

/** The Debian package's name for the binary; `ALERTMANAGER_BIN` points at another build (upstream calls it `alertmanager`). */
export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN || 'prometheus-alertmanager';

/** `0.25.0` from `--version`, or undefined when the binary cannot be run (not installed). */
export function alertmanagerVersion(bin = ALERTMANAGER_BIN): string | undefined {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) return undefined;
  return /version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
}

/** What `POST /api/v2/alerts` takes (PostableAlert). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

/** What `GET /api/v2/alerts` returns (GettableAlert). Resolved alerts are not listed. */
export interface GettableAlert extends Required<Pick<PostableAlert, 'labels' | 'annotations' | 'startsAt' | 'endsAt'>> {
  fingerprint: string;
  generatorURL?: string;
  updatedAt: string;
  receivers: { name: string }[];
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
}

export class RunningAlertmanager {
  private exited = false;
  /** Settles when the process has ended, or could not be started (then with the spawn error). */
  readonly ended: Promise<Error | undefined>;
  private readonly killOnExit = () => {
    if (!this.exited) this.proc.kill('SIGKILL');
  };

  constructor(
    readonly url: string,
    readonly proc: ChildProcess,
    /** Every line Alertmanager logged (stdout and stderr), in order. */
    readonly output: string[],
    readonly dir: string,
  ) {
    this.ended = new Promise<Error | undefined>((r) => {
      const done = (e?: Error) => {
        this.exited = true;
        process.off('exit', this.killOnExit);
        r(e);
      };
      proc.once('close', () => done()); // after exit and its last log lines
      proc.once('error', (e) => proc.pid === undefined && done(e)); // ENOENT: it never ran
    });
    // Should the test process end without running its `after` hooks, do not leave Alertmanager behind.
    process.once('exit', this.killOnExit);
  }

  get hasExited() {
    return this.exited;
  }

  async postAlerts(alerts: PostableAlert[]): Promise<void> {
    const r = await http('POST', `${this.url}/api/v2/alerts`, { body: alerts });
    if (r.status !== 200) throw new Error(`Alertmanager refused the alerts: ${r.status} ${r.text}`);
  }

  async alerts(): Promise<GettableAlert[]> {
    const r = await http<GettableAlert[]>('GET', `${this.url}/api/v2/alerts`);
    if (r.status !== 200) throw new Error(`GET /api/v2/alerts: ${r.status} ${r.text}`);
    return r.body;
  }

  /** The sum of a metric's series whose labels include `labels`, from /metrics (0 when none match). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = (await http<string>('GET', `${this.url}/metrics`)).text;
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const series = m[2] ?? '';
      if (Object.entries(labels).every(([k, v]) => series.includes(`${k}=${JSON.stringify(v)}`))) sum += Number(m[3]);
    }
    return sum;
  }

  /** The last lines of its log, for a failure message. */
  tail(lines = 30): string {
    return this.output.slice(-lines).join('\n');
  }

  /** SIGTERM, then SIGKILL if it has not exited within 5 s; then removes its temp directory. */
  async stop(): Promise<void> {
    if (!this.exited) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
      await this.ended;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Writes `config` (alertmanager.yml as an object) to a temp directory and starts Alertmanager on a free loopback port,
 * clustering off, waiting for `/-/ready`. Throws with its log if it exits early (a config error, a port taken).
 */
export async function startAlertmanager(config: Record<string, unknown>, opts: { port?: number; bin?: string; logLevel?: 'debug' | 'info' | 'warn' | 'error' } = {}): Promise<RunningAlertmanager> {
  const dir = tempDir('tocsin-alertmanager-');
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, stringify(config), { mode: 0o600 });
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${configFile}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=${url}`,
    '--cluster.listen-address=', // empty: no gossip, no cluster port, no settle wait
    `--log.level=${opts.logLevel ?? 'info'}`,
  ];
  const bin = opts.bin ?? ALERTMANAGER_BIN;
  const proc = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  for (const stream of [proc.stdout!, proc.stderr!]) {
    let buf = '';
    stream.on('data', (c: Buffer) => {
      buf += c.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      output.push(...lines);
    });
  }
  const am = new RunningAlertmanager(url, proc, output, dir);
  try {
    // Polling stops as soon as the process is gone (a config error, a port taken): no waiting out the timeout.
    await waitFor('Alertmanager to be ready', async () => am.hasExited || (await http('GET', `${url}/-/ready`)).status === 200, 15_000, 100);
    if (am.hasExited) {
      const e = await am.ended;
      throw new Error(e ? `cannot run ${bin}: ${e.message}` : `Alertmanager exited early (${bin} ${args.join(' ')}):\n${am.tail()}`);
    }
  } catch (e) {
    await am.stop();
    throw e;
  }
  return am;
}
