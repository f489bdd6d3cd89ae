/**
 * The incident.io emulator: the endpoints tocsin uses, faithful to CONTRACT.md and the vendored
 * schema, plus an inspection and fault API under /_emulator/. Run in-process by tests and
 * `npm start`, or as `tocsin emulator`.
 */
import { systemClock } from '../domain/clock.ts';
import type { Server } from 'node:http';
import { Faults, PauseGate } from './faults.ts';
import { Outage } from './outage.ts';
import { RateLimiter } from './rate-limit.ts';
import { RequestLog } from './request-log.ts';
import { buildServer } from './server.ts';
import { EmulatorState } from './state.ts';

export interface EmulatorOptions {
  host?: string; // default 127.0.0.1
  port?: number; // default 0 (random) for in-process use
  alertSources?: { id: string; token: string; name?: string }[]; // none given → one generated
  apiKeys?: { key: string; name?: string; scopes?: string[] }[]; // none given → one generated, all scopes
  alertEventsPerMinute?: number; // per alert source, default 120
  apiRequestsPerMinute?: number; // per API key, default 1200
  logger?: boolean; // default false
  maxRecords?: number; // requests kept for /_emulator/requests, default 10,000 (oldest dropped first)
}

export interface RunningEmulator {
  url: string; // e.g. http://127.0.0.1:43121
  alertSources: { id: string; token: string; name: string }[];
  apiKeys: { key: string; name: string; scopes: string[] }[];
  close(): Promise<void>;
}

export const DEFAULT_ALERT_EVENTS_PER_MINUTE = 120;
export const DEFAULT_API_REQUESTS_PER_MINUTE = 1200;

function positive(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen <= 0) throw new Error(`emulator: ${name} must be a positive number`);
  return chosen;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const clock = systemClock;
  const limits = {
    alertEventsPerMinute: positive('alertEventsPerMinute', options.alertEventsPerMinute, DEFAULT_ALERT_EVENTS_PER_MINUTE),
    apiRequestsPerMinute: positive('apiRequestsPerMinute', options.apiRequestsPerMinute, DEFAULT_API_REQUESTS_PER_MINUTE),
  };
  const state = new EmulatorState({ clock });
  const sources = options.alertSources?.length ? options.alertSources : [{}];
  for (const source of sources) {
    const added = state.addAlertSource(source);
    if (!added.ok) throw new Error(`emulator: ${added.message}`);
  }
  const keys = options.apiKeys?.length ? options.apiKeys : [{ name: 'emulator' }];
  for (const key of keys) {
    const added = state.addApiKey(key);
    if (!added.ok) throw new Error(`emulator: ${added.message}`);
  }

  let url = '';
  let closing = false;
  const gate = new PauseGate();
  const host = options.host ?? '127.0.0.1';
  let port = options.port ?? 0;
  // `refuse` outages stop and restart listening on the port the emulator got, so its URL stays valid.
  const outage = new Outage(
    clock,
    {
      stop: () => {
        app.server.close();
        app.server.closeAllConnections();
      },
      restart: () => listen(app.server, host, port),
    },
    (e) => app.log.error({ err: e }, 'emulator: could not listen again after an outage'),
  );
  const app = buildServer({
    ctx: {
      state,
      alertEventLimiter: new RateLimiter(clock, limits.alertEventsPerMinute),
      apiLimiter: new RateLimiter(clock, limits.apiRequestsPerMinute),
    },
    log: new RequestLog(options.maxRecords),
    faults: new Faults(),
    gate,
    outage,
    clock,
    limits,
    baseUrl: () => url,
    closing: () => closing,
    logger: options.logger ?? false,
  });

  await app.listen({ host, port });
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : port;
  url = `http://${urlHost(host)}:${port}`;

  return {
    url,
    alertSources: state.alertSources().map(({ id, token, name }) => ({ id, token, name })),
    apiKeys: state.apiKeys().map(({ key, name, scopes }) => ({ key, name, scopes: [...scopes] })),
    async close() {
      // Held requests would keep close() waiting forever: let them through first.
      closing = true;
      await outage.end();
      gate.resume();
      await app.close();
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A URL host a client on this machine can use for the listen address. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
