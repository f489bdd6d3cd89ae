import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { authenticateAdmin, managementDisabled } from './admin-auth.ts';
import { tokenMatches } from './auth.ts';
import { ApiError, badRequest } from './errors.ts';
import type { Gateway } from './gateway.ts';
import { cameOverTls, clearedCookie, csrfToken, issueSession, readCookie, SESSION_COOKIE, sessionCookie } from './session.ts';

const loginBody = z.object({ token: z.string().min(1) }).strict();

const secure = (request: FastifyRequest) => cameOverTls('encrypted' in request.raw.socket && request.raw.socket.encrypted === true, request.headers['x-forwarded-proto']);

/**
 * A login from a page of another site (login CSRF: the victim would be logged in as the attacker). JSON bodies already
 * need a CORS preflight that is never granted; a browser's Origin header, when sent, must also name this host.
 */
function foreignOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

/**
 * `/api/v1/session`: the web UI logs in with the admin token and gets a session cookie (session.ts); the token itself
 * is never sent back, nor stored in the browser.
 */
export function registerSessionRoutes(app: FastifyInstance, gw: Gateway): void {
  app.register(
    async (api) => {
      api.post('/session', async (request, reply) => {
        const expected = gw.config().adminToken;
        if (!expected) throw managementDisabled();
        if (foreignOrigin(request)) throw new ApiError(403, 'csrf', 'a login must come from a page of this gateway');
        const body = loginBody.safeParse(request.body ?? {});
        if (!body.success) throw badRequest([{ field: 'token', message: 'give the admin token as {"token": "…"}' }]);
        if (!tokenMatches(body.data.token, expected)) {
          request.log.warn({ ip: request.ip }, 'web UI login refused: wrong admin token');
          throw new ApiError(401, 'unauthorized', 'wrong admin token');
        }
        const now = Date.now();
        const session = issueSession(expected, now);
        void reply.header('set-cookie', sessionCookie(session, now, secure(request)));
        return { expires_at: new Date(session.expiresAt).toISOString(), csrf_token: csrfToken(session.value, expected) };
      });

      api.get('/session', async (request) => {
        authenticateAdmin(request, gw);
        const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
        // A bearer caller has no session: it answers who it is without a CSRF token, which it never needs.
        if (cookie === undefined || request.headers.authorization !== undefined) return { kind: 'bearer', expires_at: null, csrf_token: null };
        const expiresAt = Number(cookie.split('.')[1]);
        return { kind: 'session', expires_at: new Date(expiresAt).toISOString(), csrf_token: csrfToken(cookie, gw.config().adminToken!) };
      });

      // Logging out ends the session in this browser. The cookie is signed, not stored: a copy taken before stays
      // valid until it expires (at most SESSION_TTL_MS), or until the admin token changes.
      api.delete('/session', async (request, reply) => {
        authenticateAdmin(request, gw);
        void reply.header('set-cookie', clearedCookie(secure(request)));
        return { status: 'logged_out' };
      });
    },
    { prefix: '/api/v1' },
  );
}
