import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { FieldProblem } from '../domain/errors.ts';
import { storageUnavailable } from '../storage/unavailable.ts';
import { closeIfBodyUnread } from './slow-requests.ts';

/** The one error type the HTTP layer answers with: `{ error: { code, message, details? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string | string[]>,
  ) {
    super(message);
  }
}

export const badRequest = (problems: FieldProblem[]) =>
  new ApiError(400, 'invalid_body', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems });
export const unauthorized = (message = 'missing or invalid bearer token') => new ApiError(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Bearer' });
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

/** Fastify's own errors (body parsing, limits) mapped to ours; anything unexpected is a 500 that reveals nothing. */
export function toApiError(err: FastifyError | ApiError | Error): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as FastifyError;
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'body_too_large', 'the request body is over the limit for this endpoint (body_limit in the config)');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'invalid_body', 'the body is empty; send a JSON object or array');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'invalid_body', 'Content-Length does not match the body');
    // Fastify's message quotes the path; ours does not echo what the client sent.
    case 'FST_ERR_BAD_URL':
      return new ApiError(400, 'bad_request', 'the path is not valid: a % escape that does not decode to UTF-8');
  }
  if (e.statusCode === 400 && (e instanceof SyntaxError || /JSON/i.test(e.message))) {
    return new ApiError(400, 'invalid_json', `the body is not valid JSON: ${e.message.replace(/^Body is not valid JSON but content-type is set to 'application\/json'/, '').slice(0, 200) || 'parse error'}`);
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new ApiError(e.statusCode, 'bad_request', e.message);
  // Not our bug: the database is locked or the disk full. Callers (the CLI, scripts) should retry, not give up.
  if (storageUnavailable(err)) return new ApiError(503, 'unavailable', 'tocsin cannot write to its database right now (locked, or the disk is full); retry shortly', undefined, { 'retry-after': '5' });
  return new ApiError(500, 'internal', 'internal error; see the tocsin log');
}

export function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  if (err.headers) void reply.headers(err.headers);
  return reply.code(err.status).send({ error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } });
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const api = toApiError(err);
  if (api.status >= 500) request.log.error({ err }, 'request failed');
  // Refused before its body was read (a bad token, too large, no such route): never wait long for the rest.
  closeIfBodyUnread(request.raw, reply.raw);
  return sendError(reply, api);
}
