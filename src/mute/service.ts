import type { Clock } from '../domain/clock.ts';
import type { Labels } from '../domain/labels.ts';
import type { Matcher } from '../routing/matchers.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { AlertRow, Db, SilenceRow } from '../storage/schema.ts';
import { activeAlertLabels, expireSilence, findSilence, insertSilence, listSilences, silenceState, type SilenceState } from '../storage/silences-repo.ts';
import type { MuteReason } from './decide.ts';
import { allMatch, formatMatcher } from './matchers.ts';
import type { Muter } from './muter.ts';

export interface NewSilence {
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

/** The alerts a preview lists at most. */
const PREVIEW_LIMIT = 500;
/** Active alerts read for a preview at most. */
const PREVIEW_SCAN = 100_000;

export interface PreviewAlert {
  id: string;
  source: string;
  title: string;
  state: string;
}

/** Silences for the API and CLI: create, list, expire, preview. Writes go through group commit. */
export class MuteService {
  constructor(
    private readonly o: { db: Db; commits: GroupCommit; clock: Clock; newId: () => string; muter: Muter },
  ) {}

  now(): number {
    return this.o.clock.now();
  }

  async create(s: NewSilence): Promise<SilenceRow> {
    const now = this.o.clock.now();
    const row: SilenceRow = {
      id: this.o.newId(),
      matchers: JSON.stringify(s.matchers.map((m) => ({ label: m.label, op: m.op, value: m.value }))),
      starts_at: s.startsAt,
      ends_at: s.endsAt,
      created_by: s.createdBy,
      comment: s.comment,
      created_at: now,
      updated_at: now,
      expired_at: null,
    };
    await this.o.commits.run((tx) => insertSilence(tx, row));
    // On this instance the silence mutes from the next alert on; other instances read it within their refresh.
    this.o.muter.invalidate();
    return row;
  }

  list(state: SilenceState | undefined, limit: number): Promise<SilenceRow[]> {
    return listSilences(this.o.db, state, this.o.clock.now(), limit);
  }

  get(id: string): Promise<SilenceRow | undefined> {
    return findSilence(this.o.db, id);
  }

  async expire(id: string): Promise<SilenceRow | undefined> {
    const row = await this.o.commits.run((tx) => expireSilence(tx, id, this.o.clock.now()));
    this.o.muter.invalidate();
    return row;
  }

  /** The active alerts these matchers match now (what a silence would mute), up to PREVIEW_LIMIT. */
  async preview(matchers: readonly Matcher[]): Promise<{ alerts: PreviewAlert[]; truncated: boolean }> {
    const alerts: PreviewAlert[] = [];
    for (const a of await activeAlertLabels(this.o.db, PREVIEW_SCAN)) {
      if (!allMatch(matchers, JSON.parse(a.labels) as Labels)) continue;
      if (alerts.length === PREVIEW_LIMIT) return { alerts, truncated: true };
      alerts.push({ id: a.id, source: a.source, title: a.title, state: a.state });
    }
    return { alerts, truncated: false };
  }

  /**
   * Whether an alert is muted now, and by what (the alert view): per destination it was routed to. An alert whose
   * muting is the same everywhere (a silence, an inhibition) shows that once.
   */
  async alertMute(alert: AlertRow): Promise<(MuteReason & { destinations: string[] }) | null> {
    if (alert.state === 'resolved') return null;
    const destinations = JSON.parse(alert.routed_to) as string[];
    const now = this.o.clock.now();
    // The instance's view (at most a poll interval old): a page view must not read every active alert.
    const reasons = await this.o.muter.explain(this.o.db, alert, destinations.length ? destinations : [''], now);
    const muted = reasons.flatMap((r, i) => (r ? [{ r, d: destinations[i] ?? '' }] : []));
    if (!muted.length) return null;
    return { ...muted[0]!.r, destinations: muted.map((m) => m.d).filter(Boolean) };
  }
}

export function silenceView(s: SilenceRow, now: number) {
  const matchers = JSON.parse(s.matchers) as { label: string; op: string; value: string }[];
  return {
    id: s.id,
    state: silenceState(s, now),
    matchers: matchers.map((m) => ({ name: m.label, op: m.op, value: m.value, text: formatMatcher(m as Pick<Matcher, 'label' | 'op' | 'value'>) })),
    starts_at: new Date(Number(s.starts_at)).toISOString(),
    ends_at: new Date(Number(s.ends_at)).toISOString(),
    created_by: s.created_by,
    comment: s.comment,
    created_at: new Date(Number(s.created_at)).toISOString(),
    updated_at: new Date(Number(s.updated_at)).toISOString(),
    expired_at: s.expired_at === null ? null : new Date(Number(s.expired_at)).toISOString(),
  };
}

