import { staleAlerts } from '../storage/alerts-repo.ts';
import type { Tx } from '../storage/schema.ts';
import { changeState } from './manage.ts';

/** The actor of a resolve by `resolve_after`. */
export const TTL_ACTOR = 'ttl';

/**
 * `resolve_after` (issue 9): senders that only ever fire (custom JSON, log lines, Versus bodies) never say an alert is
 * over. An alert of such a source with no new event for that long is resolved as if its source had said so: a
 * transition by `ttl`, and the resolve delivered everywhere the episode went. Runs in the scheduler's fenced
 * transaction, so one instance does it; every resolve is in the commit that records it.
 */
export async function resolveStale(
  tx: Tx,
  now: number,
  sources: readonly { name: string; resolveAfterMs?: number | undefined }[],
  configured: ReadonlySet<string>,
  limit = 100,
): Promise<{ resolved: number; woken: Set<string> }> {
  const out = { resolved: 0, woken: new Set<string>() };
  for (const s of sources) {
    if (!s.resolveAfterMs) continue;
    for (const alert of await staleAlerts(tx, s.name, now - s.resolveAfterMs, limit - out.resolved)) {
      const silentMs = now - alert.last_event_at;
      const { wake } = await changeState(tx, alert, 'resolve', now, configured, TTL_ACTOR, { reason: 'resolve_after', silent_ms: silentMs, resolve_after_ms: s.resolveAfterMs });
      for (const d of wake) out.woken.add(d);
      out.resolved++;
    }
    if (out.resolved >= limit) break;
  }
  return out;
}
