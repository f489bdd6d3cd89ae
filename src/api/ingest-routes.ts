import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SourceConfig } from '../config/load.ts';
import { sourceTypes } from '../sources/registry.ts';
import { bearerToken, tokenMatches } from './auth.ts';
import { ApiError, badRequest, unauthorized } from './errors.ts';
import type { Gateway } from './gateway.ts';

declare module 'fastify' {
  interface FastifyRequest {
    tocsinSource?: SourceConfig;
  }
}

/** Storage down is our fault, and a 503 is what makes Alertmanager (which never retries a 429) send again. */
function unavailable(): ApiError {
  return new ApiError(503, 'unavailable', 'tocsin cannot store alerts right now; retry shortly', undefined, { 'retry-after': '5' });
}

/**
 * The source a request is for: `/ingest/<name>`, or Versus' own path `/api/incidents`, which goes to the versus
 * source named by `?source=`, else the only one configured. Undefined when there is none to speak of.
 */
function sourceFor(gw: Gateway, request: FastifyRequest<{ Params: { source?: string }; Querystring: Record<string, string | undefined> }>): SourceConfig | undefined {
  const sources = gw.config().sources;
  if (request.params.source !== undefined) return sources.get(request.params.source);
  const versus = [...sources.values()].filter((s) => s.type === 'versus');
  const named = request.query.source;
  return named ? versus.find((s) => s.name === named) : versus.length === 1 ? versus[0] : undefined;
}

export function registerIngestRoutes(app: FastifyInstance, gw: Gateway): void {
  const maxBody = Math.max(gw.config().bodyLimit, ...[...gw.config().sources.values()].map((s) => s.bodyLimit));

  // Auth before the body is read: an unknown source and a wrong token get the same answer, and cost us nothing.
  const authenticate = async (request: FastifyRequest<{ Params: { source?: string }; Querystring: Record<string, string | undefined> }>) => {
    const source = sourceFor(gw, request);
    if (!source || !tokenMatches(bearerToken(request.headers.authorization), source.token)) {
      gw.metrics.reject(source ? source.name : '(unknown)', 401);
      throw unauthorized('missing or invalid bearer token for this source');
    }
    const length = Number(request.headers['content-length'] ?? 0);
    if (length > source.bodyLimit) throw new ApiError(413, 'body_too_large', `the body is ${length} bytes; this source accepts at most ${source.bodyLimit} (body_limit)`);
    request.tocsinSource = source;
  };

  const handle = async (request: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply: FastifyReply) => {
    const source = request.tocsinSource!;
    const type = sourceTypes[source.type]!;
    const parsed = await type.parse(request.body, { source: source.name, options: source.options, query: request.query, severityMap: source.severityMap });
    if (!parsed.ok) {
      gw.metrics.reject(source.name, 400);
      throw badRequest(parsed.problems);
    }
    let outcome;
    try {
      outcome = await gw.ingest(source, parsed.value.events, parsed.value.destination);
    } catch (e) {
      request.log.error({ err: e, source: source.name }, 'ingest failed');
      gw.metrics.reject(source.name, 503);
      throw unavailable();
    }
    const warnings = [...(parsed.value.warnings ?? []), ...outcome.warnings];
    return reply.code(202).send(warnings.length ? { results: outcome.results, warnings } : { results: outcome.results });
  };

  app.post('/ingest/:source', { bodyLimit: maxBody, onRequest: authenticate }, handle);
  app.post('/api/incidents', { bodyLimit: maxBody, onRequest: authenticate }, handle);
}
