import type { Labels } from '../domain/labels.ts';
import { routeResolveAfter } from '../routing/routes.ts';
import { staleAlerts, updateAlert } from '../storage/alerts-repo.ts';
import type { AlertRow, Tx } from '../storage/schema.ts';
import type { Routing } from './ingest.ts';
import { changeState } from './manage.ts';

/** The actor of a resolve by `resolve_after`. */
export const TTL_ACTOR = 'ttl';

/**
 * How long an alert lives without a new event: the event's own time to live (a log rule's quiet time), else the
 * shortest `resolve_after` of the routes it matches, else its source's. Undefined: it lives until resolved.
 */
export function timeToLive(routing: Routing, source: string, labels: Labels, eventTtlMs: number | null | undefined): number | undefined {
  // tocsin's own alerts (storm summary, heartbeats, scheduled queries) end by their own rule: a route's resolve_after
  // must not resolve a heartbeat that is still missing.
  if (source.startsWith(INTERNAL_SOURCE_PREFIX)) return undefined;
  return eventTtlMs ?? routeResolveAfter(routing.routes, labels) ?? routing.sourceResolveAfter?.(source);
}

/** The sources of tocsin's own alerts: `tocsin:storm`, `tocsin:heartbeat`, `tocsin:query`. */
export const INTERNAL_SOURCE_PREFIX = 'tocsin:';

/** The alert's `stale_at` once it is in `state` after an event at `lastEventAt`: null when resolved or no TTL applies. */
export function staleAt(state: AlertRow['state'], lastEventAt: number, ttlMs: number | undefined): number | null {
  return state === 'resolved' || ttlMs === undefined ? null : lastEventAt + ttlMs;
}

/**
 * `resolve_after` (issue 9): senders that only ever fire (custom JSON, log lines, Versus bodies) never say an alert is
 * over. An active alert whose time to live ran out (`stale_at`, set at every event and recomputed at every reload) is
 * resolved as if its source had said so: a transition by `ttl`, and the resolve delivered everywhere the episode went.
 * Runs in the scheduler's fenced transaction, so one instance does it; every resolve is in the commit that records it.
 */
export async function resolveStale(tx: Tx, now: number, configured: ReadonlySet<string>, limit = 100): Promise<{ resolved: number; woken: Set<string> }> {
  const out = { resolved: 0, woken: new Set<string>() };
  for (const alert of await staleAlerts(tx, now, limit)) {
    if (alert.state === 'resolved') {
      await updateAlert(tx, alert.id, { stale_at: null }); // a stray due time must not come back every tick
      continue;
    }
    const silentMs = now - alert.last_event_at;
    const ttlMs = alert.stale_at! - alert.last_event_at;
    const { wake } = await changeState(tx, alert, 'resolve', now, configured, TTL_ACTOR, { reason: 'resolve_after', silent_ms: silentMs, resolve_after_ms: ttlMs });
    for (const d of wake) out.woken.add(d);
    out.resolved++;
  }
  return out;
}
