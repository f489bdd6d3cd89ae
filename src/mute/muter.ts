import type { Labels } from '../domain/labels.ts';
import type { Route } from '../routing/routes.ts';
import { activeAlertLabels, liveSilences } from '../storage/silences-repo.ts';
import type { AlertRow, Executor, SilenceRow, Tx } from '../storage/schema.ts';
import { encodeReason, muteReason, type ActiveSilence, type MuteReason, type MuteRules, type MuteState } from './decide.ts';
import type { MuteCheck } from './hook.ts';
import { isInhibitSource, type LabelledAlert } from './inhibit.ts';
import { compileMatcher, type MatchOp } from '../routing/matchers.ts';

/** Most active alerts read as inhibition candidates at once; past it, only the oldest can inhibit (docs/silences.md). */
const MAX_INHIBITORS_SCAN = 100_000;

export function silenceOf(row: SilenceRow): ActiveSilence {
  const raw = JSON.parse(row.matchers) as { label: string; op: MatchOp; value: string }[];
  return { id: row.id, matchers: raw.map((m) => compileMatcher(m.label, m.op, m.value)), startsAt: Number(row.starts_at), endsAt: Number(row.ends_at) };
}

export interface MuterOptions {
  /** How old the in-memory view of silences and inhibiting alerts may get before it is read again. */
  refreshMs: () => number;
  /** The routes and mute rules in force (a reload changes them). */
  rules: () => { routes: readonly Route[]; mute: MuteRules };
}

interface Snapshot extends MuteState {
  readAt: number;
  silences: ActiveSilence[];
  inhibitors: Map<string, LabelledAlert>;
}

/**
 * Keeps what the mute decision needs in memory, read again from the database at most every `refreshMs` — inside the
 * transaction that asks, so it costs one small query per interval on the hot path, and a silence created through
 * another instance mutes here within that interval (docs/silences.md). Silences created or expired through this
 * instance apply at once (`invalidate`). Alerts passing through the outbox update the inhibitors as they go, so a
 * source alert in the same batch as its target already inhibits it.
 */
export class Muter implements MuteCheck {
  private snap: Snapshot | undefined;

  constructor(private readonly o: MuterOptions) {}

  invalidate(): void {
    this.snap = undefined;
  }

  /** The state read now (the mute task and the API take no cached view). */
  async fresh(db: Executor, now: number): Promise<MuteState> {
    const rules = this.o.rules().mute;
    const silences = (await liveSilences(db, now)).map(silenceOf);
    const inhibitors = new Map<string, LabelledAlert>();
    if (rules.inhibitRules.length) {
      for (const a of await activeAlertLabels(db, MAX_INHIBITORS_SCAN)) {
        const labels = JSON.parse(a.labels) as Labels;
        if (isInhibitSource(rules.inhibitRules, labels)) inhibitors.set(a.id, { id: a.id, labels });
      }
    }
    this.snap = { readAt: now, silences, inhibitors };
    return this.snap;
  }

  private async current(db: Executor, now: number): Promise<Snapshot> {
    if (this.stale(now)) await this.fresh(db, now);
    return this.snap!;
  }

  /** An alert passing through the outbox: it may now inhibit others, or no longer. */
  private note(snap: Snapshot, row: AlertRow, labels: Labels): void {
    const rules = this.o.rules().mute.inhibitRules;
    if (!rules.length) return;
    if (row.state !== 'resolved' && isInhibitSource(rules, labels)) snap.inhibitors.set(row.id, { id: row.id, labels });
    else snap.inhibitors.delete(row.id);
  }

  /** Why this alert is muted for each destination (undefined: not muted); `state` as read by `fresh`, else cached. */
  async explain(db: Executor, row: AlertRow, destinations: readonly string[], now: number, state?: MuteState): Promise<(MuteReason | undefined)[]> {
    const { routes, mute } = this.o.rules();
    const s = state ?? (await this.current(db, now));
    const subject = { id: row.id, labels: JSON.parse(row.labels) as Labels, routeOverride: row.route_override };
    return destinations.map((d) => muteReason(routes, mute, s, subject, d, now));
  }

  reasons(tx: Tx, row: AlertRow, destinations: readonly string[], now: number): Promise<readonly (string | undefined)[] | undefined> | undefined {
    // The hot path with nothing to mute (no silence, no rule, a fresh view) costs no promise at all.
    const { mute } = this.o.rules();
    if (this.snap && this.snap.silences.length === 0 && !mute.inhibitRules.length && !mute.intervals.size && !this.stale(now)) return undefined;
    return this.decide(tx, row, destinations, now);
  }

  private stale(now: number): boolean {
    return !this.snap || now - this.snap.readAt >= this.o.refreshMs() || now < this.snap.readAt;
  }

  private async decide(tx: Tx, row: AlertRow, destinations: readonly string[], now: number): Promise<readonly (string | undefined)[] | undefined> {
    const { mute } = this.o.rules();
    const snap = await this.current(tx, now);
    const hasRules = mute.inhibitRules.length > 0 || mute.intervals.size > 0;
    if (!hasRules && snap.silences.length === 0) return undefined;
    const labels = JSON.parse(row.labels) as Labels;
    this.note(snap, row, labels);
    if (row.state === 'resolved') return undefined;
    const { routes } = this.o.rules();
    const subject = { id: row.id, labels, routeOverride: row.route_override };
    return destinations.map((d) => {
      const r = muteReason(routes, mute, snap, subject, d, now);
      return r && encodeReason(r);
    });
  }
}
