import { parseRetryAfter } from '../../delivery/retry-policy.ts';
import type { SendOutcome } from '../types.ts';
import { readErrorEnvelope } from './contract.ts';
import { header, type HttpOutcome } from './http.ts';

/** Plain-language hints per final status, for the person reading a dead letter at 3 a.m. */
export interface Hints {
  401: string;
  403: string;
  404: string;
}

const EXCERPT = 1000;

function fieldsOf(body: string): string {
  const env = readErrorEnvelope(body);
  const errs = env?.errors ?? [];
  return errs
    .map((e) => [e.source?.field, e.message].filter(Boolean).join(': '))
    .filter(Boolean)
    .join('; ');
}

/**
 * Sorts one HTTP result into delivered / retry / failed (DESIGN.md): 2xx done; 429, 408, 5xx, timeouts and network
 * errors retry; 400, 401, 403, 404, 413, 422 and any other 4xx are final.
 */
export function classify(outcome: HttpOutcome, now: number, hints: Hints): SendOutcome {
  if (!outcome.ok) return { kind: 'retry', error: outcome.error };
  const { res } = outcome;
  const env = res.statusCode >= 300 ? readErrorEnvelope(res.body) : undefined;
  const requestId = env?.request_id ?? header(res, 'x-request-id');
  const base = { statusCode: res.statusCode, responseExcerpt: res.body.slice(0, EXCERPT), ...(requestId ? { requestId } : {}) };
  const s = res.statusCode;
  if (s >= 200 && s < 300) return { kind: 'delivered', ...base };
  if (s === 429 || s === 408 || s >= 500) {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], now);
    const what = s === 429 ? 'rate limited by incident.io' : s === 408 ? 'request timeout' : `incident.io server error ${s}`;
    return { kind: 'retry', error: what, ...base, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  const detail = fieldsOf(res.body);
  const hint =
    s === 401
      ? hints[401]
      : s === 403
        ? hints[403]
        : s === 404
          ? hints[404]
          : s === 413
            ? 'The request body is over incident.io\'s 512 KB limit. tocsin caps metadata; report this as a bug with the alert id.'
            : s === 422
              ? `incident.io rejected a field${detail ? ` — ${detail}` : ''}. Check the alert's content and the destination's settings.`
              : `incident.io refused the request (${s})${detail ? ` — ${detail}` : ''}.`;
  return { kind: 'failed', error: `HTTP ${s}${detail ? `: ${detail}` : ''}`, hint, ...base };
}
