import type { Logger } from 'pino';
import type { JsonObject } from '../domain/alert.ts';
import type { Clock } from '../domain/clock.ts';
import {
  decideStorm,
  stormBounds,
  summaryChanged,
  summaryContent,
  STORM_ACTOR,
  STORM_SOURCE,
  type StormDecision,
  type PendingLinks,
  type StormSettings,
  type SummaryView,
} from '../domain/storm.ts';
import { endSummary, startSummary, updateSummary } from '../core/storm-summary.ts';
import type { RateLimit } from '../destinations/types.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { AlertRow, Db } from '../storage/schema.ts';
import { backlogBreakdown, countBacklog, findSummaryAlert, lastActor } from '../storage/storm-repo.ts';
import { backoffMs, STORAGE_BACKOFF } from './retry-policy.ts';

export interface StormObserver {
  /** Whether the destination is in a storm now; `started` is true only when a storm begins (not after a restart). */
  stormState(destination: string, active: boolean, started: boolean): void;
}

export interface StormWatchOptions {
  db: Db;
  commits: GroupCommit;
  clock: Clock;
  logger: Logger;
  observer: StormObserver;
  newId: () => string;
  /** Where a destination's pending deliveries are listed (web UI, API), linked from the summary. */
  links: (destination: string) => PendingLinks;
  /** A summary send was queued: the destination's worker should look at its queue now. */
  wake: () => void;
  /** Whether this instance is the destination's sender now (its lease): only the sender keeps the summary. */
  holding?: () => boolean;
  /** How often an active storm is looked at (drained yet? update due?). */
  activeEveryMs?: number;
  /** How often a quiet destination is looked at without being poked (a safety net: enqueues poke). */
  idleEveryMs?: number;
  /** At most one look per this long, however often ingest pokes. */
  minGapMs?: number;
}

interface Target {
  name: string;
  rateLimit: RateLimit;
  settings: StormSettings;
}

/**
 * Storm mode's I/O for one destination, beside its delivery worker (which sends the summary like any queued row,
 * within the same token bucket). Everything it knows is in the database — the summary alert and the queue — so a
 * restart carries on where it stopped: an active summary keeps being updated and is resolved once the queue drains.
 */
export class StormWatch {
  private running = false;
  private loop: Promise<void> | undefined;
  /** Ends the current wait early: `poke` only between looks, `stop` always. */
  private pokeWake: (() => void) | undefined;
  private stopWake: (() => void) | undefined;
  private poked = false;
  private lastLook = 0;
  /** What the last count took. */
  private countMs = 0;
  /** When the content was last compared for an update, written or not: the breakdown is not recounted every look. */
  private lastRefresh = 0;
  private active = false;
  /** After a person resolved a summary mid-storm: quiet until the queue drains. Undefined until read from storage. */
  private held: boolean | undefined;
  /** The look in progress (or the last one): looks never overlap. */
  private serial: Promise<unknown> = Promise.resolve();
  private urgent: Promise<void> | undefined;

  constructor(
    private readonly o: StormWatchOptions,
    private target: Target,
  ) {}

  get name(): string {
    return this.target.name;
  }

  /** Config reload: a new rate limit or storm setting applies from the next look (disabling ends an active storm). */
  replace(target: Target): void {
    this.target = target;
    this.poke();
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopWake?.();
    await this.loop;
    if (this.active) this.o.observer.stormState(this.name, false, false);
    this.active = false;
  }

  /** Whether `queued` more rows alone would start a storm (storm mode on, none active, past the bound). */
  wouldStart(queued: number): boolean {
    const { rateLimit, settings } = this.target;
    return this.running && settings.enabled && !this.active && queued > stormBounds(rateLimit.perMinute, settings).enterAbove;
  }

  /**
   * One look now, whatever the gap since the last (wake() in senders.ts: a request that alone starts a storm); after
   * any look in progress. Settles when it is done, failed or not: the sender is woken after it either way.
   */
  async lookNow(): Promise<void> {
    if (this.o.holding && !this.o.holding()) return;
    this.lastLook = this.o.clock.now();
    const look = this.look().then(
      () => undefined,
      (e: unknown) => this.o.logger.error({ err: e, destination: this.name }, 'storm watch cannot use storage; the loop retries'),
    );
    this.urgent = look;
    await look;
    if (this.urgent === look) this.urgent = undefined;
  }

  /** The look lookNow started, until it is done: the sender takes no rows before it (senders.ts). */
  urgentLook(): Promise<void> | undefined {
    return this.urgent;
  }

  /** Looks one at a time: the loop's and lookNow's. */
  private look(): Promise<StormDecision['kind']> {
    const next = this.serial.then(() => this.check());
    this.serial = next.catch(() => undefined);
    return next;
  }

  /** Something was queued for the destination: look soon (at most once per `minGapMs`). */
  poke(): void {
    this.poked = true;
    this.pokeWake?.();
  }

  private sleep(ms: number, byPoke: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.stopWake = this.pokeWake = undefined;
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      this.stopWake = done;
      if (byPoke) this.pokeWake = done;
    });
  }

  private async run(): Promise<void> {
    const { logger, clock } = this.o;
    let failures = 0;
    while (this.running) {
      // Counting costs more with a larger bound in play (a lifted rate limit counts a long way): keep it under ~2 %.
      const gap = this.lastLook + Math.max(this.o.minGapMs ?? 250, Math.min(15_000, this.countMs * 50)) - clock.now();
      if (gap > 0) await this.sleep(gap, false);
      if (!this.running) break;
      this.lastLook = clock.now();
      this.poked = false;
      let wait: number;
      try {
        if (this.o.holding && !this.o.holding()) {
          // Another instance sends for this destination; it keeps the summary. Look again in case this one takes over.
          if (this.active) this.o.observer.stormState(this.name, false, false);
          this.active = false;
          await this.sleep(this.o.activeEveryMs ?? 1000, false);
          continue;
        }
        await this.look();
        failures = 0;
        wait = this.active ? (this.o.activeEveryMs ?? 1000) : (this.o.idleEveryMs ?? 10_000);
      } catch (e) {
        // Storage trouble: the summary's state is in the database, so looking again later loses nothing.
        failures++;
        wait = backoffMs(failures, Math.random, STORAGE_BACKOFF);
        logger.error({ err: e, destination: this.name, failures, retry_in_ms: wait }, 'storm watch cannot use storage; retrying');
      }
      if (this.running && !(this.poked && failures === 0)) await this.sleep(wait, failures === 0);
    }
  }

  /** One look: reads the summary and the queue, decides (domain/storm.ts), writes what changed. */
  async check(): Promise<StormDecision['kind']> {
    const { db, commits, clock, logger } = this.o;
    const { name, rateLimit, settings } = this.target;
    const summary = await findSummaryAlert(db, STORM_SOURCE, name);
    const view = summary ? await this.view(summary) : undefined;
    if (view) view.updatedAt = Math.max(view.updatedAt, this.lastRefresh);
    if (this.held === undefined) this.held = view?.resolvedByPerson ?? false;
    if (view?.resolvedByPerson && this.active) {
      logger.info({ destination: name }, 'storm summary resolved by a person: no new summary until the queue drains');
      this.held = true;
    }
    const bounds = stormBounds(rateLimit.perMinute, settings);
    // Counted only as far as the bound in play: the same cost with 100 or 100,000 queued.
    const cap = (view?.active ? bounds.endAtOrBelow : bounds.enterAbove) + 1;
    const began = performance.now();
    const backlog = await countBacklog(db, name, summary?.id, cap);
    this.countMs = performance.now() - began;
    if (backlog <= bounds.endAtOrBelow) this.held = false;
    const now = clock.now();
    const decision = decideStorm({ settings, bounds, backlog, summary: view, held: this.held, now });
    const wasActive = this.active;
    let started = false;

    if (decision.kind === 'start' || decision.kind === 'refresh') {
      this.lastRefresh = now;
      const breakdown = await backlogBreakdown(db, name, summary?.id, settings.groupBy);
      const previous = summary ? (JSON.parse(summary.metadata) as JsonObject) : undefined;
      const startedAt = decision.kind === 'start' ? now : Date.parse(String(previous?.storm_started_at)) || now;
      const content = summaryContent({ destination: name, perMinute: rateLimit.perMinute, breakdown, links: this.o.links(name), startedAt });
      if (decision.kind === 'start') {
        const r = await commits.run((tx) => startSummary(tx, name, content, now, this.o.newId));
        started = r === 'started';
        if (started) {
          logger.warn(
            { destination: name, queued: breakdown.total, rate_limit_per_minute: rateLimit.perMinute, by_severity: breakdown.bySeverity },
            `alert storm: ${breakdown.total} deliveries queued for "${name}"; summary alert sent first, most severe alerts next`,
          );
          this.o.wake();
        }
      } else if (summaryChanged(previous, content.metadata)) {
        if ((await commits.run((tx) => updateSummary(tx, name, content, now))) === 'updated') {
          logger.info({ destination: name, queued: breakdown.total }, 'storm summary updated');
          this.o.wake();
        }
      }
    } else if (decision.kind === 'end') {
      if ((await commits.run((tx) => endSummary(tx, name, now, decision.reason))) === 'ended') {
        logger.info({ destination: name, reason: decision.reason, queued: backlog }, decision.reason === 'drained' ? 'alert storm over: queue drained; summary resolved' : 'storm mode disabled: summary resolved');
        this.o.wake();
      }
    }

    this.active = decision.kind === 'start' || decision.kind === 'refresh' || decision.kind === 'steady';
    if (this.active !== wasActive || started) this.o.observer.stormState(name, this.active, started);
    return decision.kind;
  }

  private async view(summary: AlertRow): Promise<SummaryView> {
    const active = summary.state !== 'resolved';
    return {
      active,
      resolvedByPerson: !active && (await lastActor(this.o.db, summary.id)) !== STORM_ACTOR,
      updatedAt: summary.updated_at,
    };
  }
}
