/**
 * The real Prometheus Alertmanager (Debian `prometheus-alertmanager`, 0.25 here) as a child process on loopback, for
 * end-to-end tests: no gossip (`--cluster.listen-address=`), a temp `--storage.path`, its v2 API and metrics.
 * Nothing it is configured with should point beyond 127.0.0.1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
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

/**
 * One alert of a kube-prometheus storm (`KubePodNotReady` for every pod of a namespace), with the labels and
 * annotations kube-prometheus rules and Prometheus add: about 1.1 KB in a webhook body, as in a real storm.
 */
export function kubePodNotReady(i: number, over: { endsAt?: string; namespace?: string } = {}): PostableAlert {
  const namespace = over.namespace ?? 'batch-ingest';
  const pod = `ingest-worker-7d9f8c6b5-${String(i).padStart(5, '0')}`;
  const alert: PostableAlert = {
    labels: {
      alertname: 'KubePodNotReady',
      cluster: 'prod-eu-west-1',
      container: 'kube-state-metrics',
      endpoint: 'http',
      instance: '10.42.3.17:8080',
      job: 'kube-state-metrics',
      namespace,
      pod,
      prometheus: 'monitoring/kube-prometheus-stack-prometheus',
      service: 'kube-prometheus-stack-kube-state-metrics',
      severity: 'warning',
      team: 'data-platform',
      uid: `3f0c${String(i).padStart(8, '0')}-9a1b-4c2d-8e3f-${String(i).padStart(12, '0')}`,
    },
    annotations: {
      description: `Pod ${namespace}/${pod} has been in a non-ready state for longer than 15 minutes on cluster prod-eu-west-1.`,
      runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodnotready',
      summary: 'Pod has been in a non-ready state for more than 15 minutes.',
    },
    startsAt: new Date(Date.now() - 16 * 60_000).toISOString(),
    generatorURL: `http://prometheus.monitoring.svc:9090/graph?g0.expr=sum+by+%28namespace%2C+pod%2C+cluster%29+%28max+by+%28namespace%2C+pod%2C+cluster%29+%28kube_pod_status_phase%7Bjob%3D%22kube-state-metrics%22%2C+namespace%3D~%22.%2A%22%2C+phase%3D~%22Pending%7CUnknown%7CFailed%22%7D%29+%2A+on+%28namespace%2C+pod%2C+cluster%29+group_left+%28owner_kind%29+topk+by+%28namespace%2C+pod%2C+cluster%29+%281%2C+max+by+%28namespace%2C+pod%2C+owner_kind%2C+cluster%29+%28kube_pod_owner%7Bowner_kind%21%3D%22Job%22%7D%29%29%29+%3E+0&g0.tab=1`,
  };
  if (over.endsAt) alert.endsAt = over.endsAt;
  return alert;
}

/** What a {@link RecordingRelay} saw of one request: its size, how many alerts it carried, and the answer. */
export interface RelayedRequest {
  path: string;
  bytes: number;
  alerts: number;
  status: number;
}

/**
 * A pass-through HTTP hop between a sender and tocsin that records each request's body size and answer: how a test
 * knows what Alertmanager really sent (it logs neither). Loopback only.
 */
export class RecordingRelay {
  readonly requests: RelayedRequest[] = [];
  private constructor(
    readonly url: string,
    private readonly target: string,
    private readonly server: Server,
  ) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.forward(req, res));
  }

  static async start(target: string): Promise<RecordingRelay> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    return new RecordingRelay(`http://127.0.0.1:${port}`, target, server);
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let alerts = 0;
      try {
        alerts = (JSON.parse(body.toString('utf8')) as { alerts?: unknown[] }).alerts?.length ?? 0;
      } catch {
        /* not JSON: counted as 0 */
      }
      const seen = { path: req.url ?? '', bytes: body.length, alerts };
      const headers: Record<string, string> = {};
      for (const h of ['authorization', 'content-type']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
      request(`${this.target}${req.url}`, { method: 'POST', headers, body })
        .then(async (r) => {
          const answer = Buffer.from(await r.body.arrayBuffer());
          this.requests.push({ ...seen, status: r.statusCode });
          res.writeHead(r.statusCode, { 'content-type': String(r.headers['content-type'] ?? 'application/json') }).end(answer);
        })
        .catch((e: Error) => {
          this.requests.push({ ...seen, status: 502 });
          res.writeHead(502).end(e.message);
        });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const CI = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());

/**
 * Whether a real-Alertmanager suite runs here: `missing` says why it cannot (not installed), `skip` is what to give
 * `describe`. Outside CI a machine without Alertmanager skips, saying why; under CI the suite must run, so the caller
 * turns `missing` into a failing test instead.
 */
export function realAlertmanager(): { version: string | undefined; missing: string | undefined; skip: string | false } {
  const version = alertmanagerVersion();
  const missing = version === undefined ? `${ALERTMANAGER_BIN} is not installed or does not run (apt-get install prometheus-alertmanager; scripts/test.sh installs it)` : undefined;
  return { version, missing, skip: !CI && missing ? missing : false };
}
