import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/load.ts';
import type { Routing } from '../core/ingest.ts';
import type { Clock } from '../domain/clock.ts';
import type { AlertEvent } from '../domain/alert.ts';
import { createAgent } from '../destinations/incident-io/http.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import { listHeartbeatRows, recordPing } from '../storage/heartbeats-repo.ts';
import type { Db } from '../storage/schema.ts';
import { heartbeatTask } from '../timers/heartbeat-task.ts';
import type { TimerTask } from '../timers/task.ts';
import { registerHeartbeatMetrics } from './metrics.ts';
import { SelfHeartbeat } from './self.ts';
import { heartbeatView, type HeartbeatView } from './view.ts';
import { splitWatchdogs, type WatchdogSplit } from './watchdog.ts';
import type { SelfHeartbeatStatus } from './self.ts';

export interface HeartbeatDeps {
  db: Db;
  commits: GroupCommit;
  clock: Clock;
  logger: Logger;
  config: () => Config;
  routing: () => Routing;
  newId: () => string;
  /** The scheduler should look now (a ping may resolve a missed alert). */
  poke: () => void;
  /** Whether this instance can store alerts (for self_heartbeat). */
  ready: () => Promise<{ ok: boolean; reason?: string }>;
  /** The /metrics registry, for the heartbeat gauges (metrics.ts). */
  registry?: Registry;
}

/** What the HTTP layer uses (Gateway.heartbeats). */
export interface HeartbeatApi {
  /** Records a ping durably (committed when this resolves). False when no such heartbeat is configured. */
  ping(name: string): Promise<boolean>;
  list(): Promise<{ heartbeats: HeartbeatView[]; self_heartbeat: SelfHeartbeatStatus | null }>;
}

/**
 * Heartbeats (dead man's switches) wired together: pings from `POST /heartbeat/<name>` and from Alertmanager
 * Watchdogs, the scheduler's task that raises and resolves missed alerts and forwards pings to incident.io, and the
 * self heartbeat. app.ts creates one and hands out its parts.
 */
export class Heartbeats implements HeartbeatApi {
  readonly task: TimerTask;
  private readonly self: SelfHeartbeat;
  private readonly agent = createAgent(10_000);

  constructor(private readonly d: HeartbeatDeps) {
    this.task = heartbeatTask({ heartbeats: () => d.config().heartbeats, routing: d.routing, newId: d.newId, agent: this.agent, poke: d.poke });
    this.self = new SelfHeartbeat({ config: () => d.config().selfHeartbeat, ready: d.ready, agent: this.agent, logger: d.logger, now: () => d.clock.now() });
    if (d.registry) registerHeartbeatMetrics(d.registry, () => this.list());
  }

  start(): void {
    this.self.start();
  }

  async stop(): Promise<void> {
    await this.self.stop();
    await this.agent.close().catch(() => undefined);
  }

  async ping(name: string): Promise<boolean> {
    const hb = this.d.config().heartbeats.get(name);
    if (!hb) return false;
    await this.d.commits.run((tx) => recordPing(tx, name, hb.everyMs + hb.graceMs, this.d.clock.now(), hb.forward !== undefined));
    this.d.poke();
    return true;
  }

  /**
   * The Watchdog alerts of a request from `source` become pings, committed before this resolves (so before the 2xx);
   * the rest are the request's alerts.
   */
  async watchdogs(source: string, events: AlertEvent[]): Promise<WatchdogSplit> {
    const split = splitWatchdogs(this.d.config().heartbeats, source, events);
    if (split.pinged.length) {
      const now = this.d.clock.now();
      await this.d.commits.run(async (tx) => {
        for (const name of split.pinged) {
          const hb = this.d.config().heartbeats.get(name)!;
          await recordPing(tx, name, hb.everyMs + hb.graceMs, now, hb.forward !== undefined);
        }
      });
      this.d.poke();
    }
    return split;
  }

  async list(): Promise<{ heartbeats: HeartbeatView[]; self_heartbeat: SelfHeartbeatStatus | null }> {
    const rows = new Map((await listHeartbeatRows(this.d.db)).map((r) => [r.name, r]));
    const alerts = await this.d.db.selectFrom('alerts').select(['id', 'dedup_key', 'state']).where('source', '=', 'tocsin:heartbeat').execute();
    const alertOf = new Map(alerts.map((a) => [a.dedup_key, a]));
    const now = this.d.clock.now();
    return {
      heartbeats: [...this.d.config().heartbeats.values()].map((hb) => heartbeatView(hb, rows.get(hb.name), alertOf.get(hb.name), now)),
      self_heartbeat: this.self.status() ?? null,
    };
  }
}
