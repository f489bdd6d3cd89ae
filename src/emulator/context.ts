/**
 * What every emulated incident.io route gets, and the API-key request flow they share:
 * authenticate → scope → rate limit → handler → take a token only if the handler accepted.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { authenticateApiKey, readCredential } from './auth.ts';
import type { Answer, Headers } from './errors.ts';
import type { DeepQuery } from './query.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { RequestRecord } from './request-log.ts';
import type { ApiKey, EmulatorState } from './state.ts';

export interface EmulatorContext {
  state: EmulatorState;
  /** One bucket per alert source. */
  alertEventLimiter: RateLimiter;
  /** One bucket per API key. */
  apiLimiter: RateLimiter;
}

export interface Inbound {
  params: Record<string, string>;
  query: DeepQuery;
  headers: IncomingHttpHeaders;
  /** Raw bytes (or undefined for a request without a body); parse with readJsonBody. */
  body: unknown;
  /** This request's entry in the request log, for handlers to annotate. */
  record: RequestRecord;
}

export interface Route {
  method: 'GET' | 'POST';
  /** fastify route pattern */
  url: string;
  handle(ctx: EmulatorContext, req: Inbound): Answer;
}

export function withHeaders(answer: Answer, headers: Headers): Answer {
  return { ...answer, headers: { ...headers, ...answer.headers } };
}

export function apiKeyRequest(ctx: EmulatorContext, req: Inbound, scope: string, run: (key: ApiKey) => Answer): Answer {
  const auth = authenticateApiKey(ctx.state, readCredential(req.headers.authorization, undefined), scope);
  if (!auth.ok) return auth.rejection;
  const key = auth.value;
  req.record.authenticated_as = `api_key:${key.name}`;
  const limited = ctx.apiLimiter.check(key.id, key.name);
  if (limited) return limited;
  const answer = run(key);
  if (answer.kind === 'ok') ctx.apiLimiter.take(key.id);
  return withHeaders(answer, ctx.apiLimiter.headers(key.id));
}
