import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { clientErrorHandler } from './client-error.ts';
import { ApiError, errorHandler, notFound } from './errors.ts';
import type { Gateway } from './gateway.ts';
import { registerLifecycleRoutes } from './lifecycle-routes.ts';
import { registerManagementRoutes } from './management-routes.ts';
import { registerAckLinkRoutes } from './ack-routes.ts';
import { registerConsoleApi } from './console-api.ts';
import { registerSilenceRoutes } from './silences-routes.ts';
import { registerRulesRoutes } from './rules-routes.ts';
import { registerUi } from '../ui/routes.ts';
import { INGEST_ROUTES, registerIngestRoutes } from './ingest-routes.ts';
import { registerHeartbeatRoutes } from './heartbeat-routes.ts';
import { collapseRepeats, repeatWarning, shownParam } from './query-params.ts';
import { httpTimeouts } from './slow-requests.ts';

/** Query strings can carry secrets (`?token=` in other tools): log only the path. An ack link's token is cut too. */
const pathOf = (url: string) => url.split('?')[0]!.replace(/^\/ack\/[^/]+/, '/ack/…');

/** Polled every few seconds by probes and scrapers: at info they would drown the lines that matter. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Readiness answers from what storage last showed (storage/write-health.ts); should even that stall (a hung disk),
 * a probe still gets its answer in time: not ready.
 */
const READY_WITHIN_MS = 1000;

async function readyWithin(gw: Gateway, ms: number): Promise<{ ok: boolean; reason?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ ok: false; reason: string }>((r) => (timer = setTimeout(() => r({ ok: false, reason: `storage did not answer within ${ms} ms` }), ms)));
  try {
    return await Promise.race([gw.ready(), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function buildServer(gw: Gateway, logger: Logger): FastifyInstance {
  const timeouts = httpTimeouts(gw.config().requestTimeoutMs);
  const app = Fastify({
    // A request that takes longer than request_timeout to arrive gets a 408 and its connection closed (slow-requests.ts).
    http: timeouts,
    requestTimeout: timeouts.requestTimeout,
    // An idle keep-alive connection is closed after this (Fastify's default, said here: longer than the 60 s idle
    // timeout of common load balancers, so they never reuse a connection tocsin is closing).
    keepAliveTimeout: 72_000,
    loggerInstance: logger as FastifyBaseLogger,
    // We log one line per request ourselves (onResponse), with the path only.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: gw.config().bodyLimit,
    // Behind a proxy the real client matters for nothing we do; never trust X-Forwarded-* blindly.
    trustProxy: false,
    // Fastify's default logs a refused request's raw bytes (query-string tokens included) at trace.
    clientErrorHandler: clientErrorHandler(logger),
    // Errors Fastify meets before routing (a malformed % escape in the path): answered in tocsin's shape too.
    frameworkErrors: (err, request, reply) => errorHandler(err, request as FastifyRequest, reply as FastifyReply),
  });
  // JSON only; the ingest routes alone also read JSON sent as text/plain, as AWS SNS sends it (ingest-routes.ts).
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  // Before every route's own hooks (authentication included): no route takes a list in the query string, so a
  // repeated parameter counts once (query-params.ts). Different values: a 400 — except on ingest routes, where a
  // refusal would lose a page: there the first value is used and the 202 says so.
  // A callback hook, not an async one: it runs on every request, ingest's hot path included.
  app.addHook('onRequest', (request, _reply, done) => {
    const repeats = collapseRepeats(request.query);
    if (repeats.kind === 'none') return done();
    if (INGEST_ROUTES.has(request.routeOptions.url ?? '')) {
      request.queryWarnings = repeats.names.map(repeatWarning);
      return done();
    }
    done(new ApiError(400, 'invalid_query', `query parameter "${shownParam(repeats.names[0]!)}" is given more than once with different values; give it once`));
  });
  app.setNotFoundHandler((request, reply) => errorHandler(notFound(`route ${request.method} ${pathOf(request.url)}`) as never, request, reply));
  app.addHook('onResponse', async (request, reply) => {
    const path = pathOf(request.url)!;
    const level = QUIET_PATHS.has(path) && reply.statusCode < 400 ? 'debug' : 'info';
    request.log[level]({ method: request.method, path, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const r = await readyWithin(gw, READY_WITHIN_MS);
    return reply.code(r.ok ? 200 : 503).send(r.ok ? { status: 'ready' } : { status: 'not_ready', reason: r.reason });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await gw.metrics.registry.metrics();
    return reply.type(gw.metrics.registry.contentType).send(text);
  });

  registerIngestRoutes(app, gw);
  registerHeartbeatRoutes(app, gw);
  registerManagementRoutes(app, gw);
  registerAckLinkRoutes(app, gw);
  registerLifecycleRoutes(app, gw);
  registerConsoleApi(app, gw);
  registerSilenceRoutes(app, gw);
  registerRulesRoutes(app, gw);
  registerUi(app);
  return app;
}
