import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/load.ts';
import { storageUnavailable } from '../storage/unavailable.ts';
import { adminHook } from './admin-auth.ts';
import { anyTokenMatches, presentedTokens } from './auth.ts';
import { ApiError, notFound } from './errors.ts';
import type { Gateway } from './gateway.ts';

type PingRequest = FastifyRequest<{ Params: { name: string }; Querystring: Record<string, string | string[] | undefined> }>;

const unauthorized = () =>
  new ApiError(401, 'unauthorized', "missing or invalid token for this heartbeat (any source's token, or the heartbeat's own token: Bearer, Basic password or ?token=)", undefined, {
    'www-authenticate': ['Basic realm="tocsin", charset="UTF-8"', 'Bearer realm="tocsin"'],
  });

/**
 * Whether the request may ping `name`: any source's token, or the heartbeat's own `token`. Checked before the name: a
 * caller with no valid token learns nothing of which heartbeats exist (401 either way); one with a source's token
 * gets a 404 for a name that is not configured. Every expected token is compared (constant time each, no early exit).
 */
function authorised(config: Config, name: string, presented: readonly string[]): boolean {
  let ok = false;
  for (const s of config.sources.values()) ok = anyTokenMatches(presented, s.token) || ok;
  const own = config.heartbeats.get(name)?.token;
  if (own !== undefined) ok = anyTokenMatches(presented, own) || ok;
  return ok;
}

/**
 * `POST /heartbeat/<name>` (and `GET`, as incident.io's own heartbeat endpoint and cron's `curl -fsS <url>` do): a
 * ping, stored durably before the 200. The body, if any, is read and ignored (a job may post its output), whatever
 * its type: a ping is never refused for what it carries. `GET /api/v1/heartbeats` (admin) lists them.
 */
export function registerHeartbeatRoutes(app: FastifyInstance, gw: Gateway): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, undefined));
    const authenticate = async (request: PingRequest) => {
      const presented = presentedTokens(request.headers.authorization, request.query.token);
      if (!authorised(gw.config(), request.params.name, presented)) throw unauthorized();
      if (!gw.config().heartbeats.has(request.params.name)) throw notFound(`heartbeat "${request.params.name.slice(0, 100)}" (configured: ${[...gw.config().heartbeats.keys()].join(', ') || 'none'})`);
    };
    const handle = async (request: PingRequest) => {
      const name = request.params.name;
      const api = gw.heartbeats;
      if (!api) throw new ApiError(503, 'unavailable', 'heartbeats are not available yet; retry shortly', undefined, { 'retry-after': '5' });
      try {
        if (!(await api.ping(name))) throw notFound(`heartbeat "${name}"`);
      } catch (e) {
        if (!storageUnavailable(e)) throw e;
        request.log.error({ err: e, heartbeat: name }, 'heartbeat ping failed: storage unavailable');
        throw new ApiError(503, 'unavailable', 'tocsin cannot store the ping right now; retry shortly', undefined, { 'retry-after': '5' });
      }
      return { heartbeat: name, pinged: true };
    };
    const options = { onRequest: authenticate };
    scope.post('/heartbeat/:name', options, handle);
    // No HEAD: it must not change anything, and an uptime checker's HEAD is not a job saying it ran.
    scope.get('/heartbeat/:name', { ...options, exposeHeadRoute: false }, handle);
  });

  app.register(
    async (api) => {
      api.addHook('onRequest', adminHook(gw));
      api.get('/heartbeats', async () => {
        const hb = gw.heartbeats;
        if (!hb) throw new ApiError(503, 'unavailable', 'heartbeats are not available yet; retry shortly', undefined, { 'retry-after': '5' });
        return hb.list();
      });
    },
    { prefix: '/api/v1' },
  );
}
