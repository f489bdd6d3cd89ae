import { fireDueEscalations } from '../core/escalate.ts';
import { nextEscalationAt } from '../storage/escalations-repo.ts';
import type { TimerTask } from './task.ts';

/** Escalation steps not acknowledged in time (core/escalate.ts). */
export const escalationTask: TimerTask = {
  name: 'escalations',
  async tick(ctx) {
    const r = await ctx.fenced((tx) => fireDueEscalations(tx, ctx.now, ctx.configured));
    if (!r) return undefined;
    if (r.fired) ctx.logger.info({ steps: r.fired, destinations: [...r.woken] }, 'escalation steps fired: not acknowledged in time');
    if (r.cancelled) ctx.logger.info({ steps: r.cancelled }, 'escalation steps cancelled: acknowledged or resolved before they were due');
    return { woken: r.woken, more: r.fired + r.cancelled >= 100 };
  },
  nextDueAt: (db) => nextEscalationAt(db),
};
