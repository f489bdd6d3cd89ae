import type { SourceConfig } from '../../config/load.ts';
import type { AlertEvent } from '../../domain/alert.ts';
import type { LogEvent } from '../event.ts';
import { dedupKeyOf, groupOf, ruleAlert } from './alert.ts';
import type { RuleTally } from '../pool/protocol.ts';
import type { LogsOptions, Rule } from './config.ts';
import { sampleOf } from './sample.ts';
import { render } from './template.ts';
import { RuleWindow } from './window.ts';

/** Distinct group values one rule keeps alerts for; past it, new values are counted but raise nothing (and say so). */
export const MAX_GROUPS = 1000;

export interface RuleStat {
  matched: number;
  lastMatchAt: number | null;
}

export interface LogRulesDeps {
  /** The normal ingest (one transaction, answered after the commit); throws when storage takes no writes. */
  ingest(source: SourceConfig, events: AlertEvent[]): Promise<{ results: unknown[] }>;
  now(): number;
  /** A timer's update failed: said without anything from a log line (ids only). */
  failed(err: unknown, source: string, rule: string): void;
}

export interface LogsOutcome {
  /** Events that matched at least one rule. */
  matched: number;
  /** The ingest results of alerts this request fired (their commit is done when this resolves). */
  results: unknown[];
  warnings: string[];
}

interface Slot {
  window: RuleWindow;
  source: SourceConfig;
  timer?: NodeJS.Timeout;
  armedFor?: number;
  flushing?: boolean;
}

/** A match a worker sent as JSON text (pool/protocol.ts), copied as `match` copies an event. */
const sampleText = (text: string | undefined) => (text === undefined ? undefined : sampleOf(JSON.parse(text) as LogEvent));

const slotKey = (source: string, rule: string, key: string) => `${source}\0${rule}\0${key}`;

/** An event that matched, and which rules (indexes into the source's rules) it matched. */
export interface Matched {
  event: LogEvent;
  hits: number[];
}

/**
 * Matches events as they are read and keeps only those that matched something: an event no rule wants is garbage
 * at once, so a large body's events never all live together (most log lines match nothing). Nothing is applied
 * until the whole body was read: a body refused half-way (a bad line, a 400) changes no count.
 */
export function collectMatches(options: LogsOptions): { add(event: LogEvent): void; readonly matched: Matched[] } {
  const matched: Matched[] = [];
  let hits: number[] = [];
  const onHit = (i: number) => void hits.push(i);
  return {
    matched,
    add(event) {
      if (!options.match.forEachMatch(event, onHit)) return;
      matched.push({ event, hits });
      hits = [];
    },
  };
}

/**
 * The log rules of every logs source in this process. Events are matched and forgotten; what a rule's alert needs
 * between sends (counts, samples) is held here per alert, and each alert's own timer sends one update per window.
 * Only the alerts themselves are durable (the normal ingest); their resolution is the alert event's time to live,
 * which the scheduler applies from the database, so a restart loses at most one window's count, never a resolve.
 */
export class LogRules {
  private readonly slots = new Map<string, Slot>();
  /** Live slots per `source\0rule`, for the MAX_GROUPS cap. */
  private readonly groups = new Map<string, number>();
  private readonly stats = new Map<string, RuleStat>();
  private readonly statRows = new WeakMap<LogsOptions, RuleStat[]>();
  private stopped = false;

  constructor(private readonly deps: LogRulesDeps) {}

  /** Matches a request's events and applies what matched (`collectMatches` then `apply`). */
  async handle(source: SourceConfig, options: LogsOptions, events: readonly LogEvent[]): Promise<LogsOutcome> {
    const collect = collectMatches(options);
    for (const e of events) collect.add(e);
    return this.apply(source, options, collect.matched);
  }

  /**
   * Applies one request's matches: counts, samples, and a fire (through the normal ingest, awaited) for each alert
   * whose threshold they met; the rest waits for its alert's timer.
   */
  async apply(source: SourceConfig, options: LogsOptions, matches: readonly Matched[]): Promise<LogsOutcome> {
    const now = this.deps.now();
    const stats = this.statsOf(source.name, options);
    const touched = new Set<Slot>();
    const fired: { slot: Slot; taken: ReturnType<RuleWindow['take']> }[] = [];
    const full = new Set<string>();
    // A rule without group_by has one alert: its slot is looked up once per request, not once per match.
    const single: (Slot | undefined)[] = new Array(options.rules.length);
    for (const { event, hits } of matches) {
      for (const i of hits) {
        const rule = options.rules[i]!;
        const stat = stats[i]!;
        stat.matched++;
        stat.lastMatchAt = now;
        let slot = single[i];
        if (!slot) {
          slot = this.slotFor(source, rule, groupOf(rule, event));
          if (!slot) {
            full.add(rule.name);
            continue;
          }
          if (!rule.groupBy.length) single[i] = slot;
          touched.add(slot);
        }
        const w = slot.window;
        if (w.match(now, event) === 'fire') {
          w.title = render(rule.title, event);
          fired.push({ slot, taken: w.take(now) });
        }
      }
    }
    return this.send(source, now, fired, touched, { matched: matches.length, full });
  }

  /** The fires of a request through the normal ingest (awaited: the 202 follows the commit), then every touched slot's timer. */
  private async send(source: SourceConfig, now: number, fired: readonly { slot: Slot; taken: ReturnType<RuleWindow['take']> }[], touched: Set<Slot>, r: { matched: number; full: Set<string> }): Promise<LogsOutcome> {
    const { matched, full } = r;
    let results: unknown[] = [];
    if (fired.length) {
      try {
        results = (await this.deps.ingest(source, fired.map((f) => ruleAlert(source.name, f.slot.window, f.taken, now)))).results;
      } catch (e) {
        for (const f of fired) f.slot.window.unfire(f.taken);
        throw e;
      } finally {
        for (const s of touched) this.arm(s);
      }
    } else for (const s of touched) this.arm(s);
    const warnings = [...full].map((r) => `rule "${r}" has ${MAX_GROUPS} group values already: events of new values are counted but raise no alert until some resolve`);
    return { matched, results, warnings };
  }

  /**
   * `apply` for a body a worker thread read (src/logs/pool/): the same counts, samples, fires and timers, from its
   * tally per alert instead of the events. `now` is one instant for the whole request, so a window's outcome
   * depends only on how many matches it gets: each is recorded in turn, the fire taking the title of the match that
   * met the threshold, and fires are sent in the order their events came (as `apply` does).
   */
  async applyTally(source: SourceConfig, options: LogsOptions, tally: { matched: number; tallies: readonly RuleTally[] }): Promise<LogsOutcome> {
    const now = this.deps.now();
    const stats = this.statsOf(source.name, options);
    const touched = new Set<Slot>();
    const fired: { slot: Slot; taken: ReturnType<RuleWindow['take']>; order: number }[] = [];
    const full = new Set<string>();
    const rules = options.rules.length;
    for (const { rule: i, groups } of tally.tallies) {
      const rule = options.rules[i]!;
      const stat = stats[i]!;
      for (const g of groups) {
        stat.matched += g.n;
        stat.lastMatchAt = now;
        const slot = this.slotFor(source, rule, g.group);
        if (!slot) {
          full.add(rule.name);
          continue;
        }
        touched.add(slot);
        const w = slot.window;
        for (let k = 0; k < g.n; k++) {
          if (w.record(now, () => sampleText(g.samples[k])) !== 'fire') continue;
          const at = Math.min(k, g.titles.length - 1);
          w.title = g.titles[at]!;
          fired.push({ slot, taken: w.take(now), order: g.at[at]! * rules + i });
        }
      }
    }
    fired.sort((a, b) => a.order - b.order);
    return this.send(source, now, fired, touched, { matched: tally.matched, full });
  }

  /** Matches since start and the last match, per rule of a logs source (GET /api/v1/rules). */
  stat(source: string, rule: string): RuleStat {
    return this.stats.get(`${source}\0${rule}`) ?? { matched: 0, lastMatchAt: null };
  }

  /** Stop: every alert with matches not yet sent gets its update now (the counts live only in this process). */
  async stop(): Promise<void> {
    this.stopped = true;
    const pending: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = undefined;
      if (slot.window.isOpen(this.deps.now()) && slot.window.matched > 0 && !slot.flushing) pending.push(this.flush(slot));
    }
    await Promise.all(pending);
  }

  private statsOf(source: string, options: LogsOptions): RuleStat[] {
    let rows = this.statRows.get(options);
    if (!rows) {
      rows = options.rules.map((r) => {
        const k = `${source}\0${r.name}`;
        let s = this.stats.get(k);
        if (!s) this.stats.set(k, (s = { matched: 0, lastMatchAt: null }));
        return s;
      });
      this.statRows.set(options, rows);
    }
    return rows;
  }

  private slotFor(source: SourceConfig, rule: Rule, group: Record<string, string> | undefined): Slot | undefined {
    const key = dedupKeyOf(rule, group);
    const k = slotKey(source.name, rule.name, key);
    let slot = this.slots.get(k);
    if (slot) {
      slot.window.adopt(rule);
      slot.source = source;
      return slot;
    }
    const ruleKey = `${source.name}\0${rule.name}`;
    const n = this.groups.get(ruleKey) ?? 0;
    if (group && n >= MAX_GROUPS) return undefined;
    this.groups.set(ruleKey, n + 1);
    slot = { window: new RuleWindow(rule, key, group), source };
    this.slots.set(k, slot);
    return slot;
  }

  /** The slot's next wake-up: its update when it has matches to send, else the moment it can be forgotten. */
  private arm(slot: Slot): void {
    if (this.stopped || slot.flushing) return;
    const now = this.deps.now();
    const w = slot.window;
    let at: number;
    if (w.isOpen(now)) at = w.matched > 0 ? w.dueAt() : w.lastMatchAt + w.rule.quietMs;
    else if (!w.idle(now)) at = w.lastMatchAt + w.rule.windowMs + 1;
    else return this.forget(slot);
    if (slot.timer && slot.armedFor !== undefined && slot.armedFor <= at) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.armedFor = at;
    slot.timer = setTimeout(() => this.tick(slot), Math.max(0, at - now));
    slot.timer.unref();
  }

  private tick(slot: Slot): void {
    slot.timer = undefined;
    slot.armedFor = undefined;
    const now = this.deps.now();
    const w = slot.window;
    if (w.isOpen(now) && w.matched > 0 && now >= w.dueAt()) void this.flush(slot).then(() => this.arm(slot));
    else this.arm(slot);
  }

  private async flush(slot: Slot): Promise<void> {
    const now = this.deps.now();
    const taken = slot.window.take(now);
    slot.flushing = true;
    try {
      await this.deps.ingest(slot.source, [ruleAlert(slot.source.name, slot.window, taken, now)]);
    } catch (e) {
      slot.window.giveBack(taken);
      this.deps.failed(e, slot.source.name, slot.window.rule.name);
    } finally {
      slot.flushing = false;
    }
  }

  private forget(slot: Slot): void {
    const w = slot.window;
    const k = slotKey(slot.source.name, w.rule.name, w.key);
    if (this.slots.get(k) !== slot) return;
    this.slots.delete(k);
    const ruleKey = `${slot.source.name}\0${w.rule.name}`;
    this.groups.set(ruleKey, Math.max(0, (this.groups.get(ruleKey) ?? 1) - 1));
  }
}
