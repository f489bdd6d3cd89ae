import type { FastifyRequest } from 'fastify';
import { bearerToken, tokenMatches } from './auth.ts';
import { ApiError, unauthorized } from './errors.ts';
import type { Gateway } from './gateway.ts';
import { CSRF_HEADER, csrfMatches, readCookie, SESSION_COOKIE, verifySession } from './session.ts';

/** Reads change nothing; every other method needs the CSRF token when it comes with a session cookie. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const managementDisabled = () => new ApiError(401, 'unauthorized', 'the management API is disabled: set admin_token in the config');

/**
 * Who may use `/api/v1`: the CLI and scripts with `Authorization: Bearer <admin token>`, the web UI with its session
 * cookie — plus, for anything that changes state, the session's CSRF token in `X-CSRF-Token`, which a page of
 * another site can neither read nor send (SameSite=Strict is the second line; a custom header forces a CORS
 * preflight, which tocsin never grants, the third).
 */
export function authenticateAdmin(request: FastifyRequest, gw: Gateway): void {
  const expected = gw.config().adminToken;
  if (!expected) throw managementDisabled();
  if (request.headers.authorization !== undefined) {
    if (!tokenMatches(bearerToken(request.headers.authorization), expected)) throw unauthorized('missing or invalid admin token');
    return;
  }
  const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
  if (cookie === undefined) throw unauthorized('missing or invalid admin token');
  const session = verifySession(cookie, expected, Date.now());
  if (!session.ok) throw new ApiError(401, session.reason === 'expired' ? 'session_expired' : 'unauthorized', session.reason === 'expired' ? 'the session has expired: log in again' : 'the session is not valid: log in again');
  if (SAFE_METHODS.has(request.method)) return;
  const presented = request.headers[CSRF_HEADER];
  if (!csrfMatches(typeof presented === 'string' ? presented : undefined, cookie, expected)) {
    throw new ApiError(403, 'csrf', `missing or wrong CSRF token: send the session's token in the ${CSRF_HEADER} header`);
  }
}

/** The same check as an onRequest hook for a plugin of `/api/v1` routes. */
export const adminHook = (gw: Gateway) => async (request: FastifyRequest) => authenticateAdmin(request, gw);
