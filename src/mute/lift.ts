import { episodeReached } from '../storage/deliveries-enqueue.ts';
import { alertsByIds, mutedDeliveries, settleMuted } from '../storage/silences-repo.ts';
import type { Tx } from '../storage/schema.ts';
import { encodeReason, type MuteState } from './decide.ts';
import type { Muter } from './muter.ts';

export interface LiftOutcome {
  /** Rows made pending: the mute lifted while their alert still fires. */
  delivered: number;
  /** Rows that will never be sent: their episode ended while muted. */
  suppressed: number;
  /** Destinations that got pending rows. */
  woken: Set<string>;
  /** The last row looked at, and whether the page was full (more to look at). */
  lastId: number;
  full: boolean;
}

/**
 * One page of muted rows, decided again with the state read now: a row whose alert is no longer muted for that
 * destination becomes pending (it carries the newest state, coalesced while muted); a row whose episode is over is
 * suppressed; one muted by something else now says so. Runs in the scheduler's fenced transaction.
 */
export async function liftMuted(tx: Tx, muter: Muter, state: MuteState, afterId: number, limit: number, now: number): Promise<LiftOutcome> {
  const out: LiftOutcome = { delivered: 0, suppressed: 0, woken: new Set(), lastId: afterId, full: false };
  const rows = await mutedDeliveries(tx, afterId, limit);
  out.full = rows.length === limit;
  const alerts = await alertsByIds(
    tx,
    rows.map((r) => r.alert_id),
  );
  for (const row of rows) {
    out.lastId = row.id;
    const alert = alerts.get(row.alert_id);
    if (!alert || alert.episode !== row.episode || alert.state === 'resolved') {
      if (await settleMuted(tx, row.id, row.muted_by, { status: 'suppressed', hint: 'the alert resolved while muted: never sent' }, now)) out.suppressed++;
      continue;
    }
    const [reason] = await muter.explain(tx, alert, [row.destination], now, state);
    if (!reason && alert.state === 'acknowledged' && !(await episodeReached(tx, { destination: row.destination, alertId: alert.id, episode: alert.episode }))) {
      // Somebody acknowledged it while it was held, and this destination never heard of the episode: an escalation
      // step's page (or a first chat message) arriving now would call people to an alert already being handled.
      if (await settleMuted(tx, row.id, row.muted_by, { status: 'suppressed', hint: 'acknowledged while muted, before this destination heard of it: never sent' }, now)) out.suppressed++;
      continue;
    }
    if (!reason) {
      if (await settleMuted(tx, row.id, row.muted_by, { status: 'pending' }, now)) {
        out.delivered++;
        out.woken.add(row.destination);
      }
    } else if (encodeReason(reason) !== row.muted_by) {
      await settleMuted(tx, row.id, row.muted_by, { status: 'muted', mutedBy: encodeReason(reason) }, now);
    }
  }
  return out;
}
