import { resolveStale } from '../core/ttl.ts';
import type { TimerTask } from './task.ts';

/** `resolve_after` of sources that only ever fire (core/ttl.ts). */
export function ttlTask(sources: () => readonly { name: string; resolveAfterMs?: number | undefined }[]): TimerTask {
  return {
    name: 'resolve_after',
    async tick(ctx) {
      const r = await ctx.fenced((tx) => resolveStale(tx, ctx.now, sources(), ctx.configured));
      if (!r) return undefined;
      if (r.resolved) ctx.logger.info({ alerts: r.resolved }, 'alerts resolved by resolve_after: no new event from their source for that long');
      return { woken: r.woken, more: r.resolved >= 100 };
    },
  };
}
