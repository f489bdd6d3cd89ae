import { resolveStale } from '../core/ttl.ts';
import { nextStaleAt } from '../storage/alerts-repo.ts';
import type { TimerTask } from './task.ts';

/** Alerts whose time to live ran out: `resolve_after` of sources and routes, an event's own (core/ttl.ts). */
export const ttlTask: TimerTask = {
  name: 'resolve_after',
  async tick(ctx) {
    const r = await ctx.fenced((tx) => resolveStale(tx, ctx.now, ctx.configured));
    if (!r) return undefined;
    if (r.resolved) ctx.logger.info({ alerts: r.resolved }, 'alerts resolved by resolve_after: no new event for that long');
    return { woken: r.woken, more: r.resolved >= 100 };
  },
  nextDueAt: (db) => nextStaleAt(db),
};
