import type { Dispatcher } from 'undici';
import type { IncidentIoPing } from '../config/heartbeats-schema.ts';
import { parseRetryAfter } from '../delivery/retry-policy.ts';
import { header, sendJson } from '../destinations/incident-io/http.ts';

export type PingOutcome = { ok: true; status: number } | { ok: false; error: string; retryAfterMs?: number };

/**
 * One ping of an incident.io heartbeat alert source: `POST /v2/heartbeat/{alert_source_config_id}/ping` (vendored
 * schema: GET or POST, `?token=` or `Authorization: Bearer`, answers 204). The outcome's error names the status and
 * incident.io's request id, never the URL (its `?token=`) or the key.
 */
export async function pingIncidentIo(agent: Dispatcher, target: IncidentIoPing, now: number): Promise<PingOutcome> {
  const headers: Record<string, string> = { 'user-agent': 'tocsin' };
  if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
  const r = await sendJson(agent, 'POST', target.url, headers, undefined, target.timeoutMs);
  if (!r.ok) return { ok: false, error: r.error };
  const s = r.res.statusCode;
  if (s >= 200 && s < 300) return { ok: true, status: s };
  const requestId = header(r.res, 'x-request-id');
  const what = s === 401 ? 'HTTP 401: the api_key (or ?token=) is not valid for this heartbeat' : s === 404 ? 'HTTP 404: no such heartbeat alert source (check the id or url)' : `HTTP ${s}`;
  const retryAfterMs = s === 429 || s >= 500 ? parseRetryAfter(r.res.headers['retry-after'], now) : undefined;
  return { ok: false, error: `${what}${requestId ? ` (request_id ${requestId})` : ''}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}
