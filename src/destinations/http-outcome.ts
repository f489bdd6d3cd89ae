/**
 * Sorting one HTTP answer into delivered / retry / failed for the destinations that are not incident.io (webhook,
 * Slack): the same rule as DESIGN.md's — 2xx done; 408, 429, 5xx, timeouts and network errors retried, honouring
 * Retry-After; every other status final, with a hint for the person reading the dead letter. Nothing here may put a
 * URL or a token in an error: the URL of a webhook is itself the secret.
 */
import { parseRetryAfter } from '../delivery/retry-policy.ts';
import type { HttpOutcome } from './incident-io/http.ts';
import type { SendOutcome } from './types.ts';

const EXCERPT = 1000;

export interface HttpHints {
  /** Who answered, for people: `the webhook receiver`, `Slack`. */
  service: string;
  /** Hints for particular final statuses; others get `fallback`. */
  byStatus: Partial<Record<number, string>>;
  fallback: string;
}

export function classifyHttp(outcome: HttpOutcome, now: number, hints: HttpHints): SendOutcome {
  if (!outcome.ok) return { kind: 'retry', error: outcome.error };
  const { res } = outcome;
  const s = res.statusCode;
  const base = { statusCode: s, responseExcerpt: res.body.slice(0, EXCERPT) };
  if (s >= 200 && s < 300) return { kind: 'delivered', ...base };
  if (s === 429 || s === 408 || s >= 500) {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], now);
    const what = s === 429 ? `rate limited by ${hints.service} (429)` : s === 408 ? `${hints.service} timed out the request (408)` : `${hints.service} server error ${s}`;
    return { kind: 'retry', error: what, ...base, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (s >= 300 && s < 400) {
    // Following a redirect would resend a signed body (and any token) to a host nobody configured.
    return {
      kind: 'failed',
      error: `HTTP ${s}: ${hints.service} answered with a redirect`,
      hint: `The configured URL redirects (${s}); tocsin does not follow redirects. Put the final URL in the config and reload, then retry this delivery.`,
      ...base,
    };
  }
  const word = shortWord(res.body);
  return { kind: 'failed', error: `HTTP ${s}${word ? `: ${word}` : ''}`, hint: hints.byStatus[s] ?? hints.fallback, ...base };
}

/** The first line of a short plain answer (`invalid_payload`), which says more than the status alone. */
function shortWord(body: string): string {
  const line = body.trim().split('\n')[0] ?? '';
  return line.length > 0 && line.length <= 80 ? line : '';
}
