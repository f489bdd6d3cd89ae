/**
 * Acknowledgement over HTTP (src/ack/). `/ack/<token>`: the signed link in notifications, with no other
 * authentication (the token is the credential, good for one alert episode until it expires): GET shows a
 * confirmation page and changes nothing, POST acknowledges. `/api/v1/alerts/:id/(un)acknowledge`: the admin API,
 * registered inside the management routes' scope (admin token or UI session).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { cleanBy, type AckOutcome } from '../ack/actions.ts';
import { ACK_PAGE_HEADERS, confirmPage, donePage, problemPage, resolvedPage, type AlertSummary, type Page } from '../ack/pages.ts';
import type { AckClaim } from '../ack/token.ts';
import { findAlert } from '../storage/alerts-repo.ts';
import type { AlertRow } from '../storage/schema.ts';
import { ApiError, badRequest } from './errors.ts';
import type { Gateway } from './gateway.ts';
import { alertView } from './views.ts';

const summary = (a: AlertRow): AlertSummary => ({
  title: a.title,
  source: a.source,
  state: a.state,
  episode: a.episode,
  severity: a.severity,
  createdAt: Number(a.created_at),
  acknowledgedAt: a.acknowledged_at === null ? null : Number(a.acknowledged_at),
});

const send = (reply: FastifyReply, page: Page) => reply.code(page.status).headers(ACK_PAGE_HEADERS).send(page.html);

type Checked = { ok: true; claim: AckClaim; alert: AlertRow } | { ok: false; page: Page };

/** The token against the settings in force, then the alert it names; any problem is the page to answer with. */
async function check(gw: Gateway, token: string): Promise<Checked> {
  const v = gw.ack.verify(token);
  if (!v) return { ok: false, page: problemPage('not_configured') };
  if (!v.ok && v.reason !== 'expired') return { ok: false, page: problemPage('invalid') };
  const claim = v.claim!;
  const alert = await findAlert(gw.db, claim.alertId);
  if (!alert) return { ok: false, page: problemPage('not_found') };
  if (!v.ok) return { ok: false, page: problemPage('expired', summary(alert)) };
  if (alert.episode !== claim.episode) return { ok: false, page: problemPage('other_episode', summary(alert)) };
  return { ok: true, claim, alert };
}

export function registerAckLinkRoutes(app: FastifyInstance, gw: Gateway): void {
  app.register(async (scope) => {
    // The confirmation page's form posts url-encoded; only here (the rest of tocsin takes JSON only).
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    // A wildcard, not `:token`: a parameter past Fastify's maxParamLength (100) would be a bare 414.
    scope.get<{ Params: { '*': string } }>('/ack/*', async (request, reply) => {
      const c = await check(gw, request.params['*']);
      return send(reply, c.ok ? confirmPage(summary(c.alert)) : c.page);
    });

    scope.post<{ Params: { '*': string } }>('/ack/*', async (request, reply) => {
      const c = await check(gw, request.params['*']);
      if (!c.ok) return send(reply, c.page);
      const by = cleanBy((request.body as Record<string, unknown> | undefined)?.['by']);
      const r = await gw.ack.acknowledge(c.claim.alertId, { by, via: 'link' }, c.claim.episode);
      if (r.ok) return send(reply, donePage(summary(r.alert), r.changed, by ?? 'link'));
      if (r.status === 410 && r.alert) return send(reply, problemPage('other_episode', summary(r.alert)));
      if (r.status === 409 && r.alert) return send(reply, resolvedPage(summary(r.alert)));
      return send(reply, problemPage('not_found'));
    });
  });
}

const byBody = z.object({ by: z.string().max(200, 'at most 200 characters').optional() }).strict();

function actor(body: unknown) {
  const r = byBody.safeParse(body ?? {});
  if (!r.success) throw badRequest(r.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message })));
  return { by: r.data.by, via: 'api' as const };
}

const answer = (r: AckOutcome) => {
  if (!r.ok) throw new ApiError(r.status, r.code, r.message);
  return { alert: alertView(r.alert), changed: r.changed };
};

/** Called inside the `/api/v1` scope of management-routes.ts, so the admin hook applies. */
export function registerAckApiRoutes(api: FastifyInstance, gw: Gateway): void {
  api.post<{ Params: { id: string } }>('/alerts/:id/acknowledge', async (request) => answer(await gw.ack.acknowledge(request.params.id, actor(request.body))));
  api.post<{ Params: { id: string } }>('/alerts/:id/unacknowledge', async (request) => answer(await gw.ack.unacknowledge(request.params.id, actor(request.body))));
}
