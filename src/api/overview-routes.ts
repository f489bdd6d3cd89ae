import type { FastifyInstance } from 'fastify';
import { senderLeaseName } from '../delivery/sender-lease.ts';
import { attemptsSince, queueDepths } from '../storage/deliveries-repo.ts';
import { alertCountsBySourceAndState, attemptsByHour } from '../storage/overview-repo.ts';
import type { Gateway } from './gateway.ts';

const HOUR_MS = 3_600_000;

/**
 * `GET /api/v1/overview`: what the web UI's first page shows — alerts by state and source; per destination its
 * backlog, dead letters, attempts per hour over the last 24 h and which instance sends for it; storage readiness.
 */
export function registerOverviewRoutes(api: FastifyInstance, gw: Gateway): void {
  api.get('/overview', async () => {
    const now = Date.now();
    const since = Math.floor(now / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
    const [counts, depths, attempts, cluster, ready] = await Promise.all([alertCountsBySourceAndState(gw.db), queueDepths(gw.db), attemptsByHour(gw.db, since), gw.cluster(), gw.ready()]);
    const byState: Record<string, number> = { firing: 0, acknowledged: 0, resolved: 0 };
    const bySource: Record<string, Record<string, number>> = {};
    for (const c of counts) {
      byState[c.state] = (byState[c.state] ?? 0) + c.n;
      (bySource[c.source] ??= { firing: 0, acknowledged: 0, resolved: 0 })[c.state] = c.n;
    }
    const configured = [...gw.config().destinations.values()];
    // Destinations no longer configured still show while they hold deliveries (orphaned rows).
    const names = [...new Set([...configured.map((d) => d.name), ...depths.map((d) => d.destination)])];
    // Requests in the last minute against the destination's own rate limit: how close it runs to being paced.
    const lastMinute = new Map(await Promise.all(names.map(async (n) => [n, await attemptsSince(gw.db, n, now - 60_000)] as const)));
    const destinations = names.map((name) => {
      const queue: Record<string, number> = { pending: 0, in_flight: 0, dead: 0, orphaned: 0 };
      for (const d of depths) if (d.destination === name) queue[d.status] = d.n;
      const hours = Array.from({ length: 24 }, (_, i) => ({ hour: new Date(since + i * HOUR_MS).toISOString(), delivered: 0, retry: 0, failed: 0 }));
      for (const a of attempts) {
        const slot = hours[(a.hour - since) / HOUR_MS];
        if (a.destination === name && slot && (a.outcome === 'delivered' || a.outcome === 'retry' || a.outcome === 'failed')) slot[a.outcome] += a.n;
      }
      const lease = cluster.leases.find((l) => l.name === senderLeaseName(name));
      const perMinute = configured.find((d) => d.name === name)?.config.rate_limit_per_minute;
      return {
        name,
        type: configured.find((d) => d.name === name)?.type ?? null,
        configured: configured.some((d) => d.name === name),
        backlog: queue.pending! + queue.in_flight!,
        queue,
        dead: queue.dead,
        last_24h: hours,
        rate_limit: typeof perMinute === 'number' ? { per_minute: perMinute, used_last_minute: lastMinute.get(name) ?? 0 } : null,
        sender: lease ? { holder: lease.holder, expires_at: lease.expires_at, held_here: lease.held_here } : null,
      };
    });
    return {
      instance: cluster.instance,
      storage: { kind: cluster.storage, ready: ready.ok, ...(ready.ok ? {} : { reason: ready.reason }) },
      alerts: { by_state: byState, by_source: bySource },
      destinations,
    };
  });
}
