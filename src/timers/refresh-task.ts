import type { DestinationConfig } from '../config/load.ts';
import { refreshDue, type RefreshTarget } from '../core/refresh.ts';
import { oldestSent } from '../storage/refresh-repo.ts';
import type { TimerTask } from './task.ts';

/** The destinations with `refresh_after` in force (incident.io alert sources; 24 h unless set to 0 or false). */
export function refreshTargets(destinations: Iterable<DestinationConfig>): RefreshTarget[] {
  const out: RefreshTarget[] = [];
  for (const d of destinations) {
    const ms = d.config.refresh_after;
    if (typeof ms !== 'number' || ms <= 0) continue;
    const perMinute = typeof d.config.rate_limit_per_minute === 'number' ? d.config.rate_limit_per_minute : 60;
    out.push({ name: d.name, refreshAfterMs: ms, perMinute });
  }
  return out;
}

/** `refresh_after`: alerts still firing are sent again to incident.io before its 48 h grouping window closes (core/refresh.ts). */
export function refreshTask(destinations: () => Iterable<DestinationConfig>): TimerTask {
  return {
    name: 'refresh_after',
    async tick(ctx) {
      const targets = refreshTargets(destinations());
      if (targets.length === 0) return undefined;
      const r = await ctx.fenced((tx) => refreshDue(tx, ctx.now, targets, ctx.configured));
      if (!r) return undefined;
      if (r.refreshed) ctx.logger.info({ alerts: r.refreshed, destinations: [...r.woken] }, 'alerts still firing sent again (refresh_after)');
      return { woken: r.woken, more: r.more };
    },
    async nextDueAt(db, now) {
      let next: number | undefined;
      for (const t of refreshTargets(destinations())) {
        const sent = await oldestSent(db, t.name);
        if (sent === undefined) continue;
        const at = sent + t.refreshAfterMs;
        // One already due but left for later (a long queue) waits for the poll interval, not a busy loop.
        if (at > now && (next === undefined || at < next)) next = at;
      }
      return next;
    },
  };
}
