/**
 * The emulator's own API under /_emulator/ (no auth: bind it to loopback). It lets tests in other
 * processes read what the emulated incident.io received and holds, inject faults, pause, reset,
 * change limits and add credentials. Secrets appear only in the answer that creates them.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ServerDeps } from './server.ts';
import { faultSpecSchema } from './faults.ts';
import { outageSpecSchema } from './outage.ts';
import { renderInspectPage } from './inspect-page.ts';
import { ALL_SCOPES, type AlertSource, type ApiKey } from './state.ts';

export interface Limits {
  alertEventsPerMinute: number;
  apiRequestsPerMinute: number;
}

const rateLimitsSchema = z
  .object({
    alert_events_per_minute: z.number().positive().optional(),
    api_requests_per_minute: z.number().positive().optional(),
  })
  .strict();

const alertSourceSchema = z
  .object({ id: z.string().min(1).optional(), token: z.string().min(1).optional(), name: z.string().min(1).optional() })
  .strict();

const apiKeySchema = z
  .object({
    key: z.string().min(1).regex(/^\S+$/, 'must not contain spaces').optional(),
    name: z.string().min(1).optional(),
    scopes: z.array(z.string().min(1)).optional(),
  })
  .strict();

function fail(reply: FastifyReply, status: number, code: string, message: string, details?: unknown): FastifyReply {
  return reply.code(status).send({ error: details === undefined ? { code, message } : { code, message, details } });
}

/** The JSON body of an /_emulator/ request; an empty body reads as `{}`. */
function parseBody<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, raw: unknown): { ok: true; value: T } | { ok: false; message: string; details?: unknown } {
  let value: unknown = {};
  if (Buffer.isBuffer(raw) && raw.length > 0) {
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch {
      return { ok: false, message: 'the body is not valid JSON' };
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
    return { ok: false, message: 'invalid body', details };
  }
  return { ok: true, value: parsed.data };
}

export function registerInspection(app: FastifyInstance, deps: ServerDeps): void {
  const { ctx, log, faults, gate, outage } = deps;
  const sourceView = (s: AlertSource) => ({ id: s.id, name: s.name, alert_events_url: `${deps.baseUrl()}/v2/alert_events/http/${s.id}` });
  const keyView = (k: ApiKey) => ({ id: k.id, name: k.name, scopes: k.scopes });
  const alertsView = () => ctx.state.alerts.all().map((a) => ({ ...a, attributes: [] }));
  const incidentsView = () =>
    ctx.state.incidents.all().map((i) => ({ ...ctx.state.incidents.view(i), idempotency_key: i.idempotencyKey }));
  const limitsView = () => ({
    alert_events_per_minute: ctx.alertEventLimiter.limit,
    api_requests_per_minute: ctx.apiLimiter.limit,
  });

  app.get('/_emulator', async (_request, reply) => reply.redirect('/_emulator/'));
  app.get('/_emulator/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(
        renderInspectPage({
          alerts: alertsView(),
          incidents: incidentsView(),
          alertSources: ctx.state.alertSources().map(sourceView),
          requestCount: log.list().length,
          paused: gate.paused,
          outage: outage.view(),
        }),
      ),
  );

  app.get('/_emulator/status', async () => ({
    paused: gate.paused,
    waiting_requests: gate.waiting,
    faults: faults.list(),
    outage: outage.view(),
    rate_limits: limitsView(),
    alert_sources: ctx.state.alertSources().map(sourceView),
    api_keys: ctx.state.apiKeys().map(keyView),
    scopes: ALL_SCOPES,
  }));

  app.get('/_emulator/requests', async (request) => {
    const prefix = (request.query as Record<string, unknown>)['path_prefix'];
    return { requests: log.list(typeof prefix === 'string' ? prefix : undefined), dropped_count: log.dropped };
  });

  app.get('/_emulator/alerts', async () => ({ alerts: alertsView() }));
  app.get('/_emulator/incidents', async () => ({ incidents: incidentsView() }));

  app.get('/_emulator/faults', async () => ({ faults: faults.list() }));
  app.post('/_emulator/faults', async (request, reply) => {
    const body = parseBody(faultSpecSchema, request.body);
    if (!body.ok) return fail(reply, 400, 'invalid_fault', body.message, body.details);
    return reply.code(201).send({ fault: faults.add(body.value) });
  });
  app.delete('/_emulator/faults', async () => {
    faults.clear();
    return { faults: [] };
  });

  app.post('/_emulator/outage', async (request, reply) => {
    const body = parseBody(outageSpecSchema, request.body);
    if (!body.ok) return fail(reply, 400, 'invalid_outage', body.message, body.details);
    // Answered before a `refuse` outage stops listening, so the caller learns when it ends.
    const view = await outage.start(body.value, { deferStop: true });
    reply.raw.once('finish', () => outage.stopListening());
    return reply.code(201).header('connection', 'close').send({ outage: view });
  });
  app.delete('/_emulator/outage', async () => {
    await outage.end();
    return { outage: null };
  });

  app.post('/_emulator/pause', async () => {
    gate.pause();
    return { paused: true, waiting_requests: gate.waiting };
  });
  app.post('/_emulator/resume', async () => {
    const released = gate.waiting;
    gate.resume();
    return { paused: false, released_requests: released };
  });

  app.post('/_emulator/reset', async () => {
    // Back to just-started: no alerts, incidents, requests or faults, full buckets at the starting
    // limits, not paused (held requests are released against the clean state). Sources and keys stay.
    await outage.end();
    ctx.state.reset();
    log.clear();
    faults.clear();
    ctx.alertEventLimiter.setLimit(deps.limits.alertEventsPerMinute);
    ctx.apiLimiter.setLimit(deps.limits.apiRequestsPerMinute);
    gate.resume();
    return { reset: true };
  });

  app.post('/_emulator/rate-limits', async (request, reply) => {
    const body = parseBody(rateLimitsSchema, request.body);
    if (!body.ok) return fail(reply, 400, 'invalid_rate_limits', body.message, body.details);
    if (body.value.alert_events_per_minute !== undefined) ctx.alertEventLimiter.setLimit(body.value.alert_events_per_minute);
    if (body.value.api_requests_per_minute !== undefined) ctx.apiLimiter.setLimit(body.value.api_requests_per_minute);
    return { rate_limits: limitsView() };
  });

  app.post('/_emulator/alert-sources', async (request, reply) => {
    const body = parseBody(alertSourceSchema, request.body);
    if (!body.ok) return fail(reply, 400, 'invalid_alert_source', body.message, body.details);
    const added = ctx.state.addAlertSource(body.value);
    if (!added.ok) return fail(reply, 409, 'conflict', added.message);
    return reply.code(201).send({ alert_source: { ...sourceView(added.value), token: added.value.token } });
  });

  app.post('/_emulator/api-keys', async (request, reply) => {
    const body = parseBody(apiKeySchema, request.body);
    if (!body.ok) return fail(reply, 400, 'invalid_api_key', body.message, body.details);
    const added = ctx.state.addApiKey(body.value);
    if (!added.ok) return fail(reply, 409, 'conflict', added.message);
    return reply.code(201).send({ api_key: { ...keyView(added.value), key: added.value.key } });
  });
}
