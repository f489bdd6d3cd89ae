/**
 * incident.io heartbeat alert sources: `GET|POST /v2/heartbeat/{alert_source_config_id}/ping` → 204 (vendored
 * openapi3.json, "Heartbeat V2#Ping"; CONTRACT.md §4). Authenticated with `?token=` or `Authorization: Bearer`: the
 * heartbeat source's own token, or an organisation API key (incident.io's API reference names an API key; the ping
 * URL it shows carries the source's token) — the emulator takes either. Pings are counted per heartbeat and shown
 * under `/_emulator/heartbeats` for tests; a heartbeat given an interval says whether it would have fired.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { readCredential } from './auth.ts';
import type { Route } from './context.ts';
import { invalidAuthorization, missingAuthorization, notFound, ok } from './errors.ts';
import type { ServerDeps } from './server.ts';
import type { EmulatorState } from './state.ts';

export interface HeartbeatSource {
  id: string;
  token: string;
  name: string;
  /** How often incident.io expects a ping (with grace): only for the `status` shown to tests. */
  intervalSeconds: number | undefined;
  graceSeconds: number;
  createdAt: number;
  pings: { at: string; via: 'bearer' | 'basic' | 'query'; method: string; as: 'source_token' | 'api_key' }[];
}

const MAX_PINGS_KEPT = 1000;

export class HeartbeatStore {
  private readonly byId = new Map<string, HeartbeatSource>();
  private counter = 0;

  add(input: { id?: string; token?: string; name?: string; interval_seconds?: number; grace_seconds?: number }, now: number): { ok: true; value: HeartbeatSource } | { ok: false; message: string } {
    const id = input.id ?? `01HB${randomBytes(11).toString('hex').toUpperCase()}`;
    if (this.byId.has(id)) return { ok: false, message: `a heartbeat with id '${id}' already exists` };
    const source: HeartbeatSource = {
      id,
      token: input.token ?? randomBytes(24).toString('hex'),
      name: input.name ?? `Heartbeat ${++this.counter}`,
      intervalSeconds: input.interval_seconds,
      graceSeconds: input.grace_seconds ?? 0,
      createdAt: now,
      pings: [],
    };
    this.byId.set(id, source);
    return { ok: true, value: source };
  }

  get(id: string): HeartbeatSource | undefined {
    return this.byId.get(id);
  }

  all(): HeartbeatSource[] {
    return [...this.byId.values()];
  }

  clearPings(): void {
    for (const h of this.byId.values()) h.pings = [];
  }
}

const stores = new WeakMap<EmulatorState, HeartbeatStore>();

/** The heartbeats of an emulated organisation (kept beside its state, so state.ts needs no change). */
export function heartbeatsOf(state: EmulatorState): HeartbeatStore {
  let s = stores.get(state);
  if (!s) stores.set(state, (s = new HeartbeatStore()));
  return s;
}

function ping(method: 'GET' | 'POST'): Route {
  return {
    method,
    url: '/v2/heartbeat/:alert_source_config_id/ping',
    handle(ctx, req) {
      const id = req.params['alert_source_config_id'] ?? '';
      const credential = readCredential(req.headers.authorization, req.query.first('token'));
      if (credential.kind === 'none') return missingAuthorization();
      if (credential.kind === 'malformed') return invalidAuthorization('Send the token as Authorization: Bearer <token> or as ?token=');
      const hb = heartbeatsOf(ctx.state).get(id);
      if (!hb) return notFound(`No heartbeat alert source with ID '${id.slice(0, 100)}' exists`);
      const as = credential.secret === hb.token ? 'source_token' : ctx.state.apiKey(credential.secret) && credential.via === 'bearer' ? 'api_key' : undefined;
      if (!as) {
        const hint = ctx.state.alertSourceByToken(credential.secret) ? ': this is the secret token of an HTTP alert source, not of this heartbeat' : '';
        return invalidAuthorization(`The token does not match this heartbeat${hint}`);
      }
      req.record.authenticated_as = as === 'api_key' ? 'api_key' : `heartbeat:${hb.id}`;
      hb.pings.push({ at: new Date().toISOString(), via: credential.via, method, as });
      if (hb.pings.length > MAX_PINGS_KEPT) hb.pings.shift();
      req.record.effect = 'heartbeat_ping';
      return ok(undefined, 204);
    },
  };
}

export const heartbeatRoutes: Route[] = [ping('GET'), ping('POST')];

const addSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
    token: z.string().min(1).regex(/^\S+$/).optional(),
    name: z.string().min(1).optional(),
    interval_seconds: z.number().int().min(1).max(172_800).optional(),
    grace_seconds: z.number().int().min(0).optional(),
  })
  .strict();

/** `GET /_emulator/heartbeats` (pings per heartbeat, no tokens) and `POST /_emulator/heartbeats` (the token once). */
export function registerHeartbeatInspection(app: FastifyInstance, deps: ServerDeps): void {
  const store = heartbeatsOf(deps.ctx.state);
  const view = (h: HeartbeatSource) => {
    const last = h.pings.at(-1)?.at;
    const since = last ? Date.parse(last) : h.createdAt;
    const status = h.intervalSeconds === undefined ? undefined : deps.clock.now() - since > (h.intervalSeconds + h.graceSeconds) * 1000 ? (last ? 'missed' : 'waiting') : last ? 'healthy' : 'waiting';
    return { id: h.id, name: h.name, ping_url: `${deps.baseUrl()}/v2/heartbeat/${h.id}/ping`, interval_seconds: h.intervalSeconds ?? null, ping_count: h.pings.length, last_ping_at: last ?? null, status: status ?? null, pings: h.pings };
  };
  app.get('/_emulator/heartbeats', async () => ({ heartbeats: store.all().map(view) }));
  app.post('/_emulator/heartbeats', async (request, reply) => {
    let raw: unknown = {};
    if (Buffer.isBuffer(request.body) && request.body.length > 0) {
      try {
        raw = JSON.parse(request.body.toString('utf8'));
      } catch {
        return reply.code(400).send({ error: { code: 'invalid_heartbeat', message: 'the body is not valid JSON' } });
      }
    }
    const body = addSchema.safeParse(raw);
    if (!body.success) return reply.code(400).send({ error: { code: 'invalid_heartbeat', message: 'invalid body', details: body.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) } });
    const added = store.add(body.data, deps.clock.now());
    if (!added.ok) return reply.code(409).send({ error: { code: 'conflict', message: added.message } });
    return reply.code(201).send({ heartbeat: { ...view(added.value), token: added.value.token } });
  });
  // `POST /_emulator/reset` forgets what was received: the pings too (the heartbeats stay, as alert sources do).
  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'POST' && request.url.split('?')[0] === '/_emulator/reset' && reply.statusCode < 300) store.clearPings();
  });
}
