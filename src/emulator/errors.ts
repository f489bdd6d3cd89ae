/**
 * incident.io's error envelope and the answers route handlers return. Handlers never throw for an
 * expected outcome: they return an `Answer`, and server.ts turns it into a response in one place.
 */

export interface ErrorItem {
  code: string;
  message: string;
  source?: { field: string };
}

export interface RateLimitInfo {
  name: string;
  limit: number;
  remaining: number;
  /** RFC 3339, second precision, as in incident.io's documented 429 body. */
  retry_after: string;
}

export interface ErrorEnvelope {
  type: string;
  status: number;
  request_id: string;
  errors: ErrorItem[];
  rate_limit?: RateLimitInfo;
}

export type Headers = Record<string, string>;

export interface Success {
  kind: 'ok';
  status: number;
  body: unknown;
  headers?: Headers;
}

export interface Rejection {
  kind: 'rejection';
  status: number;
  type: string;
  errors: ErrorItem[];
  headers?: Headers;
  rateLimit?: RateLimitInfo;
}

export type Answer = Success | Rejection;

export const ok = (body: unknown, status = 200, headers?: Headers): Success => ({ kind: 'ok', status, body, headers });

export function rejection(status: number, type: string, errors: ErrorItem[], extra: Partial<Rejection> = {}): Rejection {
  return { kind: 'rejection', status, type, errors, ...extra };
}

export function fieldError(code: string, message: string, field?: string): ErrorItem {
  return field ? { code, message, source: { field } } : { code, message };
}

export const validationError = (errors: ErrorItem[]): Rejection => rejection(422, 'validation_error', errors);

export const notFound = (message: string): Rejection =>
  rejection(404, 'not_found', [{ code: 'not_found', message }]);

export const missingAuthorization = (): Rejection =>
  rejection(401, 'authentication_error', [
    { code: 'missing_authorization_material', message: 'No authorization material provided in request' },
  ]);

export const invalidAuthorization = (message: string): Rejection =>
  rejection(401, 'authentication_error', [{ code: 'invalid_authorization_material', message }]);

export const insufficientPermissions = (scope: string, detail = ''): Rejection =>
  rejection(403, 'forbidden', [
    {
      code: 'insufficient_permissions',
      message: `This API key does not have the '${scope}' permission${detail ? `: ${detail}` : ''}`,
    },
  ]);

/** The envelope type a status gets when nothing more specific is known (injected faults, fastify errors). */
export function typeForStatus(status: number): string {
  const known: Record<number, string> = {
    400: 'bad_request',
    401: 'authentication_error',
    403: 'forbidden',
    404: 'not_found',
    408: 'request_timeout',
    409: 'conflict',
    413: 'request_too_large',
    415: 'unsupported_media_type',
    422: 'validation_error',
    429: 'too_many_requests',
    500: 'internal_server_error',
    501: 'not_implemented',
    502: 'bad_gateway',
    503: 'service_unavailable',
    504: 'gateway_timeout',
  };
  return known[status] ?? (status >= 500 ? 'internal_server_error' : 'bad_request');
}

export function envelope(answer: Rejection, requestId: string): ErrorEnvelope {
  const body: ErrorEnvelope = { type: answer.type, status: answer.status, request_id: requestId, errors: answer.errors };
  if (answer.rateLimit) body.rate_limit = answer.rateLimit;
  return body;
}
