/**
 * End-to-end harness: tocsin as a real child process (so it can be killed with SIGKILL), the incident.io emulator
 * in-process on a random loopback port, real HTTP between them. Nothing here reaches beyond 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../src/emulator/index.ts';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI = join(ROOT, 'src/cli/main.ts');
/** The installed entry point; registers tsx itself, so it runs from any working directory. */
export const BIN = join(ROOT, 'bin/tocsin.js');

export function tempDir(prefix = 'tocsin-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface HttpResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

export async function http<T = any>(method: string, url: string, opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<HttpResponse<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await request(url, { method: method as 'GET', headers, body });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.statusCode, headers: res.headers, body: parsed as T, text };
}

/** The emulator plus typed access to its inspection and fault API. */
export class Emulator {
  private constructor(readonly running: RunningEmulator) {}

  static async start(options: EmulatorOptions = {}): Promise<Emulator> {
    return new Emulator(await startEmulator({ port: 0, ...options }));
  }

  get url() {
    return this.running.url;
  }
  get source() {
    return this.running.alertSources[0]!;
  }
  get apiKey() {
    return this.running.apiKeys[0]!;
  }
  async alerts(): Promise<any[]> {
    return (await http('GET', `${this.url}/_emulator/alerts`)).body.alerts;
  }
  async incidents(): Promise<any[]> {
    return (await http('GET', `${this.url}/_emulator/incidents`)).body.incidents;
  }
  async requests(pathPrefix = '/v2/alert_events'): Promise<any[]> {
    return (await http('GET', `${this.url}/_emulator/requests?path_prefix=${encodeURIComponent(pathPrefix)}`)).body.requests;
  }
  async fault(f: { path_prefix: string; count: number; status?: number; retry_after?: number | string; latency_ms?: number; drop_connection?: boolean }) {
    const r = await http('POST', `${this.url}/_emulator/faults`, { body: f });
    if (r.status >= 300) throw new Error(`fault not set: ${r.text}`);
  }
  async pause() {
    await http('POST', `${this.url}/_emulator/pause`);
  }
  async resume() {
    await http('POST', `${this.url}/_emulator/resume`);
  }
  async reset() {
    await http('POST', `${this.url}/_emulator/reset`);
  }
  async rateLimits(l: { alert_events_per_minute?: number; api_requests_per_minute?: number }) {
    await http('POST', `${this.url}/_emulator/rate-limits`, { body: l });
  }
  close() {
    return this.running.close();
  }
}

export interface TocsinProcess {
  url: string;
  proc: ChildProcess;
  /** Every line tocsin wrote to stdout and stderr, in order. */
  output: string[];
  configPath: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function writeConfig(dir: string, config: Record<string, unknown>, name = 'tocsin.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, stringify(config));
  return path;
}

/** Starts `tocsin start --config <path>` and waits for /readyz. */
export async function startTocsin(configPath: string, opts: { env?: Record<string, string>; port: number; output?: string[] }): Promise<TocsinProcess> {
  const output = opts.output ?? [];
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'start', '--config', configPath], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = false;
  const exit = new Promise<void>((r) => proc.once('exit', () => ((exited = true), r())));
  for (const stream of [proc.stdout!, proc.stderr!]) {
    let buf = '';
    stream.on('data', (c: Buffer) => {
      buf += c.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      output.push(...lines);
    });
  }
  const url = `http://127.0.0.1:${opts.port}`;
  await waitFor(
    'tocsin to be ready',
    async () => {
      if (exited) throw new Error(`tocsin exited early:\n${output.join('\n')}`);
      return (await http('GET', `${url}/readyz`)).status === 200;
    },
    20_000,
    100,
  );
  return {
    url,
    proc,
    output,
    configPath,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (exited) return;
      proc.kill(signal);
      await exit;
    },
  };
}

/** A tocsin config pointing one alert-source destination at the emulator. Tokens are long and recognisable. */
export function gatewayConfig(emu: Emulator, dir: string, port: number, over: Record<string, unknown> = {}) {
  return {
    listen: `127.0.0.1:${port}`,
    storage: { sqlite: join(dir, 'tocsin.db') },
    admin_token: 'admin-token-0123456789abcdef',
    log_level: 'info',
    sources: { app: { type: 'alerts', token: 'app-source-token-0123456789' } },
    destinations: {
      oncall: {
        type: 'incident_io_alert_source',
        alert_source_config_id: emu.source.id,
        token: emu.source.token,
        base_url: emu.url,
        metadata: { environment: 'test' },
      },
    },
    delivery: { poll_interval: '200ms' },
    ...over,
  };
}

export const APP_TOKEN = 'app-source-token-0123456789';
export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
