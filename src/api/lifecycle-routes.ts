import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken, tokenMatches } from './auth.ts';
import { ApiError, unauthorized } from './errors.ts';
import type { Gateway } from './gateway.ts';

/**
 * `POST /-/reload`, Prometheus' and Alertmanager's path, beside SIGHUP (the same code path). Unlike theirs it needs
 * the admin token: a reload can change where alerts go.
 */
export function registerLifecycleRoutes(app: FastifyInstance, gw: Gateway): void {
  // The token is checked on request, before any body is read: an unauthenticated sender costs nothing.
  const authenticate = async (request: FastifyRequest) => {
    const expected = gw.config().adminToken;
    if (!expected) throw new ApiError(401, 'unauthorized', 'reload over HTTP is disabled: set admin_token in the config (or send SIGHUP)');
    if (!tokenMatches(bearerToken(request.headers.authorization), expected)) throw unauthorized('missing or invalid admin token');
  };
  app.post('/-/reload', { onRequest: authenticate }, async () => {
    const r = await gw.reload('http');
    if (r.ok) return { status: 'reloaded', restart_required: r.restartRequired, warnings: r.warnings };
    if (r.reason === 'invalid') {
      const message = `the configuration is invalid; the previous one stays in force: ${r.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
      throw new ApiError(400, 'invalid_config', message, { problems: r.problems });
    }
    if (r.reason === 'not_reloadable') throw new ApiError(409, 'not_reloadable', r.message);
    throw new ApiError(500, 'reload_failed', `reload failed; the previous configuration stays in force: ${r.message}`);
  });
}
