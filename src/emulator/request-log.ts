/**
 * Every request the emulated incident.io API received, in order, for tests and users to inspect.
 * Credentials never enter it: the Authorization header is not kept, `token=` in the query is
 * replaced, and only what authenticated is recorded (a source ID or a key name).
 */
import type { ErrorItem } from './errors.ts';

export interface RequestRecord {
  seq: number;
  request_id: string;
  method: string;
  /** Path and query string, with any `token=` value redacted. */
  path: string;
  received_at: string;
  answered_at: string | null;
  /** HTTP status answered; null while the request waits (paused) or when the connection was dropped. */
  status: number | null;
  /** `cut`: handled (see `effect`), but the answer broke off after its headers (a `cut_response` fault). */
  outcome: 'pending' | 'answered' | 'dropped' | 'cut';
  /** `alert_source:<id>` or `api_key:<name>` once authenticated. */
  authenticated_as: string | null;
  body?: unknown;
  errors: ErrorItem[];
  /** What the request changed, e.g. `alert_created`, `no_active_alert`, `incident_created`. */
  effect: string | null;
  /** Fields the schema does not declare: accepted and ignored, as incident.io does. */
  ignored_fields: string[];
  notes: string[];
  fault: string | null;
}

/** Kept so a long benchmark cannot grow the emulator without bound. */
export const MAX_RECORDS = 10_000;

export const REDACTED = '[redacted]';

export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at === -1) return url;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      const rawKey = eq === -1 ? part : part.slice(0, eq);
      let key = rawKey;
      try {
        key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      } catch {
        // keep the raw key
      }
      return key.toLowerCase() === 'token' ? `${rawKey}=${REDACTED}` : part;
    })
    .join('&');
  return `${url.slice(0, at)}?${query}`;
}

export class RequestLog {
  private records: RequestRecord[] = [];

  /** A test that checks every event of a long run (the cluster chaos test) keeps more. */
  constructor(private readonly max = MAX_RECORDS) {}
  private seq = 0;
  dropped = 0;

  open(method: string, url: string, requestId: string, receivedAt: Date): RequestRecord {
    const record: RequestRecord = {
      seq: ++this.seq,
      request_id: requestId,
      method,
      path: redactUrl(url),
      received_at: receivedAt.toISOString(),
      answered_at: null,
      status: null,
      outcome: 'pending',
      authenticated_as: null,
      errors: [],
      effect: null,
      ignored_fields: [],
      notes: [],
      fault: null,
    };
    this.records.push(record);
    if (this.records.length > this.max) {
      this.records.shift();
      this.dropped += 1;
    }
    return record;
  }

  list(pathPrefix?: string): RequestRecord[] {
    return pathPrefix ? this.records.filter((r) => r.path.startsWith(pathPrefix)) : [...this.records];
  }

  clear(): void {
    this.records = [];
    this.dropped = 0;
  }
}
