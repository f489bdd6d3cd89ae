import type { HeartbeatConfig } from '../config/heartbeats-schema.ts';
import type { HeartbeatRow } from '../storage/schema.ts';

const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(Number(t)).toISOString());

/**
 * `waiting`: configured, never pinged, its first period still running; `up`: pinged within its period; `late`: past
 * due, the scheduler not yet at it (at most a poll interval); `down`: missed, its alert raised (or, with
 * `alert: false`, left to incident.io).
 */
export type HeartbeatStatus = 'waiting' | 'up' | 'late' | 'down';

export interface HeartbeatView {
  name: string;
  status: HeartbeatStatus;
  every: string;
  grace_ms: number;
  last_ping_at: string | null;
  due_at: string | null;
  pings: number;
  down_since: string | null;
  alert: { id: string; state: string } | null;
  raises_alert: boolean;
  severity: string;
  labels: Record<string, string>;
  watchdog: { source: string; alertname: string; match: Record<string, string> } | null;
  /** Where pings are forwarded (host and heartbeat id only: never the token). */
  forward: { to: string; last_forwarded_at: string | null; pending_since: string | null; last_error: string | null } | null;
}

/** What the API and the CLI show of a heartbeat. Nothing secret: its token and forward URL and key stay out. */
export function heartbeatView(hb: HeartbeatConfig, row: HeartbeatRow | undefined, alert: { id: string; state: string } | undefined, now: number): HeartbeatView {
  let status: HeartbeatStatus = 'waiting';
  if (row?.state === 'down') status = 'down';
  else if (row && Number(row.due_at) <= now) status = 'late';
  else if (row?.last_ping_at != null) status = 'up';
  return {
    name: hb.name,
    status,
    every: hb.everyText,
    grace_ms: hb.graceMs,
    last_ping_at: iso(row?.last_ping_at),
    due_at: iso(row?.due_at),
    pings: Number(row?.pings ?? 0),
    down_since: iso(row?.down_since),
    alert: alert ? { id: alert.id, state: alert.state } : null,
    raises_alert: hb.alert,
    severity: hb.severity,
    labels: hb.labels,
    watchdog: hb.watchdog ?? null,
    forward: hb.forward
      ? { to: hb.forward.shownAs, last_forwarded_at: iso(row?.forwarded_at), pending_since: iso(row?.forward_ping_at), last_error: row?.forward_error ?? null }
      : null,
  };
}
