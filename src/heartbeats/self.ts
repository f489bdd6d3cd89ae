import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { SelfHeartbeatConfig } from '../config/heartbeats-schema.ts';
import { formatDuration } from '../delivery/retry-policy.ts';
import { Waits } from '../delivery/waits.ts';
import { pingIncidentIo } from './forward.ts';

export interface SelfHeartbeatStatus {
  to: string;
  every_ms: number;
  last_ping_at: number | null;
  last_error: string | null;
  /** Why the last round sent nothing (this instance was not ready), if it did not. */
  skipped: string | null;
}

/**
 * `self_heartbeat:` — tocsin's own liveness for incident.io: every `every`, this instance pings incident.io's
 * heartbeat alert source, but only while it is ready (storage takes writes), so incident.io pages when tocsin is down
 * or cannot store alerts. Every instance pings on its own: the heartbeat stands for the service, and any live one
 * keeps it up. Nothing is stored; the config is read at each round, so a reload adds, changes or removes it.
 */
export class SelfHeartbeat {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly waits = new Waits();
  private state: SelfHeartbeatStatus | undefined;
  private failing = false;

  constructor(
    private readonly o: {
      config: () => SelfHeartbeatConfig | undefined;
      ready: () => Promise<{ ok: boolean; reason?: string }>;
      agent: Dispatcher;
      logger: Logger;
      now: () => number;
    },
  ) {}

  status(): SelfHeartbeatStatus | undefined {
    const c = this.o.config();
    return c && this.state ? { ...this.state, to: c.shownAs, every_ms: c.everyMs } : c ? { to: c.shownAs, every_ms: c.everyMs, last_ping_at: null, last_error: null, skipped: null } : undefined;
  }

  start(): void {
    this.running = true;
    this.waits.reset();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.waits.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let announced: string | undefined;
    while (this.running) {
      const c = this.o.config();
      if (!c) {
        this.state = undefined;
        await this.waits.sleep(5000);
        continue;
      }
      if (announced !== `${c.shownAs} ${c.everyMs}`) {
        announced = `${c.shownAs} ${c.everyMs}`;
        this.o.logger.info({ to: c.shownAs, every: formatDuration(c.everyMs) }, 'self heartbeat: pinging incident.io while this instance is ready');
      }
      await this.round(c);
      await this.waits.sleep(c.everyMs);
    }
  }

  private async round(c: SelfHeartbeatConfig): Promise<void> {
    const prev = this.state ?? { to: c.shownAs, every_ms: c.everyMs, last_ping_at: null, last_error: null, skipped: null };
    const ready = await this.o.ready().catch((e: unknown) => ({ ok: false, reason: (e as Error).message }));
    if (!ready.ok) {
      // Silence is the message: incident.io fires once the interval passes without a ping.
      if (!prev.skipped) this.o.logger.warn({ reason: ready.reason }, 'self heartbeat: not pinging incident.io while this instance is not ready');
      this.state = { ...prev, skipped: ready.reason ?? 'not ready' };
      return;
    }
    const r = await pingIncidentIo(this.o.agent, c, this.o.now());
    if (r.ok) {
      if (this.failing) this.o.logger.info({ to: c.shownAs }, 'self heartbeat: incident.io takes pings again');
      this.failing = false;
      this.state = { ...prev, last_ping_at: this.o.now(), last_error: null, skipped: null };
    } else {
      if (!this.failing) this.o.logger.warn({ to: c.shownAs, error: r.error }, 'self heartbeat: pinging incident.io failed (tried again next round)');
      this.failing = true;
      this.state = { ...prev, last_error: r.error, skipped: null };
    }
  }
}
