import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findAlert, listTransitions } from '../storage/alerts-repo.ts';
import { findDelivery, listAttempts, listDeliveries } from '../storage/deliveries-repo.ts';
import { listEscalations } from '../storage/escalations-repo.ts';
import { registerAckApiRoutes } from './ack-routes.ts';
import { registerQueryRoutes } from '../queries/routes.ts';
import { adminHook } from './admin-auth.ts';
import { incidentsOf } from './alert-incidents.ts';
import { parseLabelFilter, searchAlerts } from './alert-search.ts';
import { destinationView } from './destination-routes.ts';
import { ApiError, badRequest, notFound } from './errors.ts';
import type { Gateway } from './gateway.ts';
import { alertView, deliveryView, escalationView, transitionView } from './views.ts';

const limit = z.coerce.number().int().min(1).max(500).default(100);
const alertQuery = z
  .object({
    status: z.enum(['firing', 'acknowledged', 'resolved']).optional(),
    source: z.string().optional(),
    unrouted: z.enum(['true', 'false']).optional(),
    severity: z.string().optional(),
    label: z.string().optional().refine((l) => l === undefined || parseLabelFilter(l) !== undefined, 'give the label as name=value, e.g. team=payments'),
    q: z.string().optional(),
    limit,
    cursor: z.string().optional(),
  })
  .strict();
const deliveryQuery = z
  .object({
    status: z.enum(['pending', 'in_flight', 'delivered', 'dead', 'skipped', 'superseded', 'orphaned', 'muted', 'suppressed']).optional(),
    destination: z.string().optional(),
    alert_id: z.string().optional(),
    limit,
    cursor: z.coerce.number().int().optional(),
  })
  .strict();
const bulkRetryBody = z.object({ status: z.enum(['dead', 'orphaned']).default('dead'), destination: z.string().min(1).optional() }).strict();

function query<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, q: unknown): T {
  const r = schema.safeParse(q);
  if (r.success) return r.data;
  throw badRequest(r.error.issues.map((i) => ({ field: i.path.join('.') || '(query)', message: i.code === 'unrecognized_keys' ? `unknown parameter(s) ${i.keys.join(', ')}` : i.message })));
}

const encodeCursor = (updatedAt: number, id: string) => Buffer.from(`${updatedAt}:${id}`).toString('base64url');
function decodeCursor(c: string | undefined) {
  if (!c) return undefined;
  const m = /^(\d+):(.+)$/.exec(Buffer.from(c, 'base64url').toString());
  if (!m) throw badRequest([{ field: 'cursor', message: 'not a cursor returned by this API' }]);
  return { updatedAt: Number(m[1]), id: m[2]! };
}

/** `/api/v1/…`: read state, act on alerts, inspect and retry deliveries. Everything needs the admin token. */
export function registerManagementRoutes(app: FastifyInstance, gw: Gateway): void {
  app.register(async (api) => {
    // The admin token as a bearer token, or the web UI's session cookie (+ CSRF token for changes): admin-auth.ts.
    api.addHook('onRequest', adminHook(gw));

    api.get('/alerts', async (request) => {
      const q = query(alertQuery, request.query);
      const base = { state: q.status, source: q.source, unrouted: q.unrouted === 'true', before: decodeCursor(q.cursor), limit: q.limit };
      const { alerts, next } = await searchAlerts(gw.db, base, { severity: q.severity, label: q.label ? parseLabelFilter(q.label) : undefined, text: q.q || undefined });
      return { alerts: alerts.map(alertView), next_cursor: next ? encodeCursor(next.updated_at, next.id) : null };
    });

    api.get<{ Params: { id: string } }>('/alerts/:id', async (request) => {
      const a = await findAlert(gw.db, request.params.id);
      if (!a) throw notFound(`alert ${request.params.id}`);
      const [transitions, deliveries, escalations] = await Promise.all([listTransitions(gw.db, a.id), listDeliveries(gw.db, { alertId: a.id, limit: 200 }), listEscalations(gw.db, a.id)]);
      return {
        // Muted now (silence, time interval, inhibition: src/mute/), with what mutes it; null when not.
        alert: { ...alertView(a), muted: gw.mute ? await gw.mute.alertMute(a) : null },
        transitions: transitions.map(transitionView),
        deliveries: deliveries.map(deliveryView),
        escalations: escalations.map(escalationView),
        incidents: await incidentsOf(gw.db, deliveries),
      };
    });

    api.post<{ Params: { id: string } }>('/alerts/:id/resolve', async (request) => {
      const r = await gw.actOnAlert(request.params.id, 'resolve');
      if (!r.ok) throw new ApiError(r.status, r.code, r.message);
      return { alert: alertView(r.value) };
    });
    // acknowledge (with who) and unacknowledge: ack-routes.ts.
    registerAckApiRoutes(api, gw);

    api.get('/deliveries', async (request) => {
      const q = query(deliveryQuery, request.query);
      const rows = await listDeliveries(gw.db, { status: q.status, destination: q.destination, alertId: q.alert_id, beforeId: q.cursor, limit: q.limit });
      return { deliveries: rows.map(deliveryView), next_cursor: rows.length === q.limit ? rows.at(-1)!.id : null };
    });

    api.get<{ Params: { id: string } }>('/deliveries/:id', async (request) => {
      const id = Number(request.params.id);
      const d = Number.isInteger(id) ? await findDelivery(gw.db, id) : undefined;
      if (!d) throw notFound(`delivery ${request.params.id}`);
      const attempts = await listAttempts(gw.db, d.id);
      return {
        delivery: deliveryView(d),
        attempts: attempts.map((a) => ({ at: new Date(Number(a.at)).toISOString(), outcome: a.outcome, status_code: a.status_code, latency_ms: a.latency_ms, request_id: a.request_id, error: a.error })),
      };
    });

    api.post<{ Params: { id: string } }>('/deliveries/:id/retry', async (request) => {
      const id = Number(request.params.id);
      if (!Number.isInteger(id)) throw notFound(`delivery ${request.params.id}`);
      const r = await gw.retryDelivery(id);
      if (!r.ok) throw new ApiError(r.status, r.code, r.message);
      return { delivery: deliveryView(r.value) };
    });

    // Every dead (or orphaned) row, oldest first through the same core retry as one row: an older row folds the later
    // dead rows of its alert episode into itself, which then answer 409 as superseded and are counted as folded.
    api.post('/deliveries/retry', async (request) => {
      const b = query(bulkRetryBody, request.body ?? {});
      const ids: number[] = [];
      for (let beforeId: number | undefined; ; ) {
        const page = await listDeliveries(gw.db, { status: b.status, destination: b.destination, beforeId, limit: 500 });
        ids.push(...page.map((d) => d.id));
        if (page.length < 500) break;
        beforeId = page.at(-1)!.id;
      }
      ids.sort((x, y) => x - y);
      const retried: { id: number; destination: string; alert_id: string }[] = [];
      const folded: number[] = [];
      const refused: { id: number; message: string }[] = [];
      for (let i = 0; i < ids.length; i += 100) {
        // Submitted in id order within one event-loop turn, so a chunk shares a group commit and keeps that order.
        const chunk = ids.slice(i, i + 100);
        const outcomes = await Promise.all(chunk.map((id) => gw.retryDelivery(id)));
        for (const [j, r] of outcomes.entries()) {
          const id = chunk[j]!;
          if (r.ok) retried.push({ id, destination: r.value.destination, alert_id: r.value.alert_id });
          else if ((await findDelivery(gw.db, id))?.status === 'superseded') folded.push(id);
          else refused.push({ id, message: r.message });
        }
      }
      return { status: b.status, destination: b.destination ?? null, retried, folded, refused };
    });

    api.get('/destinations', async () => ({
      destinations: [...gw.config().destinations.values()].map(destinationView),
    }));
    api.get('/cluster', async () => gw.cluster());
    api.get('/sources', async () => ({ sources: [...gw.config().sources.values()].map((s) => ({ name: s.name, type: s.type, ingest_path: `/ingest/${s.name}` })) }));
    registerQueryRoutes(api, gw);
  }, { prefix: '/api/v1' });
}
