import type { HeartbeatConfig } from '../config/heartbeats-schema.ts';
import type { AlertEvent } from '../domain/alert.ts';

/** What an event of a request turned out to be: a heartbeat's ping (or a Watchdog's resolve), or an alert. */
export interface WatchdogSplit {
  /** The events that are alerts, in order. */
  alerts: AlertEvent[];
  /** Heartbeats pinged by this request (each once, however many of its alerts were Watchdogs). */
  pinged: string[];
  /** Per event of the request, in order: the heartbeat it belongs to, or undefined for an alert. */
  heartbeatOf: (string | undefined)[];
}

function labelValue(e: AlertEvent, name: string): string | undefined {
  const v = e.labels?.[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The heartbeat whose `alertmanager:` settings this event of `source` matches, if any. */
export function watchdogOf(heartbeats: Iterable<HeartbeatConfig>, source: string, e: AlertEvent): HeartbeatConfig | undefined {
  for (const hb of heartbeats) {
    const wd = hb.watchdog;
    if (!wd || wd.source !== source || labelValue(e, 'alertname') !== wd.alertname) continue;
    if (Object.entries(wd.match).every(([k, v]) => labelValue(e, k) === v)) return hb;
  }
  return undefined;
}

/**
 * Takes a source's Watchdog alerts out of a request (pure). A firing Watchdog is a ping of its heartbeat; a resolved
 * one (Alertmanager's `send_resolved` when Prometheus stopped sending it) is no ping — the heartbeat then fires when
 * its period passes. Neither is stored as an alert: the Watchdog fires for ever by design, and as an alert it would
 * sit firing in every list, and be delivered wherever a catch-all route points (a page that never resolves).
 */
export function splitWatchdogs(heartbeats: ReadonlyMap<string, HeartbeatConfig>, source: string, events: readonly AlertEvent[]): WatchdogSplit {
  const out: WatchdogSplit = { alerts: [], pinged: [], heartbeatOf: [] };
  const watching = [...heartbeats.values()].filter((h) => h.watchdog?.source === source);
  for (const e of events) {
    const hb = watching.length ? watchdogOf(watching, source, e) : undefined;
    out.heartbeatOf.push(hb?.name);
    if (!hb) out.alerts.push(e);
    else if (e.status === 'firing' && !out.pinged.includes(hb.name)) out.pinged.push(hb.name);
  }
  return out;
}

/** The answer to a request whose Watchdogs were taken out: every event's result in the request's order. */
export function withWatchdogResults<O extends { results: unknown[] }>(outcome: O, events: readonly AlertEvent[], split: WatchdogSplit): O {
  if (split.alerts.length === events.length) return outcome;
  const alerts = outcome.results[Symbol.iterator]();
  const results = events.map((e, i) => {
    const heartbeat = split.heartbeatOf[i];
    return heartbeat === undefined ? alerts.next().value : { id: null, dedup_key: e.dedupKey, result: 'heartbeat' as const, heartbeat };
  });
  return { ...outcome, results };
}
