import { liftMuted } from '../mute/lift.ts';
import type { Muter } from '../mute/muter.ts';
import { nextSilenceChange } from '../storage/silences-repo.ts';
import type { TimerTask } from './task.ts';

const PAGE = 500;
/** Muted rows are all looked at again at least this often, whatever changed (a row muted on another instance). */
const FULL_PASS_MS = 60_000;

/**
 * Lifts mutes (mute/lift.ts): when a silence ends or is expired, an interval is over, or an inhibiting alert resolves,
 * the muted rows of alerts still firing become pending. A pass over every muted row runs when the silences or the
 * inhibiting alerts changed, the minute turned (time intervals), or a minute passed; in between only rows muted since
 * the last pass are looked at, so a large silence costs little while nothing changes.
 */
export function muteTask(muter: Muter, hasIntervals: () => boolean): TimerTask {
  let lastKey = '';
  let lastFullAt = 0;
  let cursor = 0;
  /** The highest muted row id a finished pass saw: rows after it are new. */
  let seen = 0;
  let passing = false;
  return {
    name: 'mutes',
    async tick(ctx) {
      const r = await ctx.fenced(async (tx) => {
        const state = await muter.fresh(tx, ctx.now);
        const key = [
          ...state.silences.filter((s) => s.startsAt <= ctx.now).map((s) => `${s.id}@${s.endsAt}`),
          '|',
          ...[...state.inhibitors.keys()].sort(),
          '|',
          hasIntervals() ? String(Math.floor(ctx.now / 60_000)) : '',
        ].join(',');
        if (!passing && (key !== lastKey || ctx.now - lastFullAt >= FULL_PASS_MS)) {
          passing = true;
          cursor = 0;
          lastKey = key;
          lastFullAt = ctx.now;
        }
        const from = passing ? cursor : seen;
        const page = await liftMuted(tx, muter, state, from, PAGE, ctx.now);
        if (passing) cursor = page.lastId;
        if (page.lastId > seen) seen = page.lastId;
        if (!page.full) passing = false;
        return page;
      });
      if (!r) return undefined;
      if (r.delivered) ctx.logger.info({ deliveries: r.delivered, destinations: [...r.woken] }, 'mute lifted: deliveries of alerts still firing are pending again');
      if (r.suppressed) ctx.logger.info({ deliveries: r.suppressed }, 'muted deliveries suppressed: their alert resolved while muted');
      return { woken: r.woken, more: r.full };
    },
    nextDueAt: (db, now) => nextSilenceChange(db, now),
  };
}
