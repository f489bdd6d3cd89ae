import type { Dispatcher } from 'undici';
import type { HeartbeatConfig } from '../config/heartbeats-schema.ts';
import type { Routing } from '../core/ingest.ts';
import { backoffMs, formatDuration } from '../delivery/retry-policy.ts';
import { raiseMissed, resolveMissed } from '../heartbeats/alert.ts';
import { pingIncidentIo, type PingOutcome } from '../heartbeats/forward.ts';
import { claimForward, deleteHeartbeat, forwardFailed, forwardsDue, forwardSettled, markDown, markUp, missedHeartbeats, nextHeartbeatDue, recoveredHeartbeats, syncHeartbeats } from '../storage/heartbeats-repo.ts';
import type { TimerContext, TimerTask } from './task.ts';

export interface HeartbeatTaskDeps {
  heartbeats: () => ReadonlyMap<string, HeartbeatConfig>;
  routing: () => Routing;
  newId: () => string;
  agent: Dispatcher;
  /** A forward finished in the background: tick soon to record it. */
  poke: () => void;
  random?: () => number;
}

/** Forward retries: from 1 s to 5 min (a heartbeat's pings come again anyway; only the latest is sent). */
const FORWARD_BACKOFF = { baseMs: 1000, capMs: 5 * 60_000 };

interface Finished {
  name: string;
  pingAt: number;
  outcome: PingOutcome;
}

/**
 * Heartbeats (docs/heartbeats.md), on the instance holding the scheduler lease, each change in its own fenced
 * commit: the rows follow the config (a new heartbeat's clock starts now); a heartbeat past its due time goes down
 * and raises its alert in the same commit; one pinged since goes up and resolves it. Pings to forward to incident.io
 * are sent in the background (never in a transaction): each is first given a due time past its timeout, so one cut
 * off by a crash or a lost lease is sent again by whoever holds the lease next; the outcome is recorded at a later tick.
 */
export function heartbeatTask(deps: HeartbeatTaskDeps): TimerTask {
  let synced: ReadonlyMap<string, HeartbeatConfig> | undefined;
  const inFlight = new Set<string>();
  let finished: Finished[] = [];
  let generation = 0;
  const random = deps.random ?? Math.random;

  async function sync(ctx: TimerContext, now: number): Promise<string[] | undefined> {
    const config = deps.heartbeats();
    if (config === synced) return [];
    const woken: string[] = [];
    const ok = await ctx.fenced(async (tx) => {
      const gone = await syncHeartbeats(tx, [...config.values()].map((h) => ({ name: h.name, periodMs: h.everyMs + h.graceMs })), now);
      for (const row of gone) {
        woken.push(...(await resolveMissed(tx, row.name, now, ctx.configured, 'heartbeat removed from the config')));
        await deleteHeartbeat(tx, row.name);
      }
      return true;
    });
    if (!ok) return undefined;
    synced = config;
    return woken;
  }

  async function recordFinished(ctx: TimerContext, now: number): Promise<void> {
    const done = finished;
    finished = [];
    for (const f of done) {
      const hb = deps.heartbeats().get(f.name);
      const written = await ctx.fenced(async (tx) => {
        if (f.outcome.ok) return forwardSettled(tx, f.name, f.pingAt, now, { forwarded: true });
        const retryAfterMs = f.outcome.retryAfterMs ?? 0;
        return forwardFailed(tx, f.name, (failures) => now + Math.max(retryAfterMs, backoffMs(failures, random, FORWARD_BACKOFF)), f.outcome.error, now);
      });
      if (written === undefined) return;
      if (!f.outcome.ok) ctx.logger.warn({ heartbeat: f.name, to: hb?.forward?.shownAs, error: f.outcome.error }, 'heartbeat: forwarding a ping to incident.io failed; retrying');
    }
  }

  async function startForwards(ctx: TimerContext, now: number): Promise<void> {
    const gen = generation;
    const claimed = await ctx.fenced(async (tx) => {
      const out: { name: string; pingAt: number; hb: HeartbeatConfig }[] = [];
      for (const row of await forwardsDue(tx, now)) {
        if (inFlight.has(row.name)) continue;
        const hb = deps.heartbeats().get(row.name);
        const pingAt = row.forward_ping_at!;
        // A ping older than its period says nothing true any more ("alive now"): incident.io is not told it late.
        if (!hb?.forward || now - pingAt > hb.everyMs) {
          await forwardSettled(tx, row.name, pingAt, now, { forwarded: false, error: hb?.forward ? `ping of ${new Date(pingAt).toISOString()} not forwarded: older than every (${hb.everyText}) before it could be sent` : 'forward is no longer configured' });
          continue;
        }
        // Claimed for its timeout: should this instance die or lose the lease mid-send, it is sent again after that.
        await claimForward(tx, row.name, now + hb.forward.timeoutMs + 1000);
        out.push({ name: row.name, pingAt, hb });
      }
      return out;
    });
    for (const c of claimed ?? []) {
      inFlight.add(c.name);
      void pingIncidentIo(deps.agent, c.hb.forward!, Date.now())
        .catch((e: unknown): PingOutcome => ({ ok: false, error: `unexpected: ${(e as Error).name}` }))
        .then((outcome) => {
          inFlight.delete(c.name);
          if (gen !== generation) return; // the lease was lost meanwhile: the next holder sends it again
          finished.push({ name: c.name, pingAt: c.pingAt, outcome });
          deps.poke();
        });
    }
  }

  return {
    name: 'heartbeats',
    async tick(ctx) {
      const now = ctx.now;
      const woken = new Set<string>();
      const fromSync = await sync(ctx, now);
      if (!fromSync) return undefined;
      for (const d of fromSync) woken.add(d);
      const config = deps.heartbeats();

      const missed = await missedHeartbeats(ctx.db, now);
      for (const row of missed) {
        const hb = config.get(row.name);
        const r = await ctx.fenced(async (tx) => {
          if (!(await markDown(tx, row.name, now))) return { raised: false, to: [] as string[] };
          return { raised: true, to: hb?.alert ? await raiseMissed(tx, hb, row, now, deps.routing(), deps.newId) : [] };
        });
        if (!r) return { woken };
        if (!r.raised) continue;
        for (const d of r.to) woken.add(d);
        const late = formatDuration(now - (row.last_ping_at ?? row.created_at));
        ctx.logger.warn({ heartbeat: row.name, last_ping_at: row.last_ping_at, destinations: r.to }, `heartbeat ${row.name} missed: no ping for ${late}${!hb?.alert ? ' (alert: false: incident.io is told by the forward)' : r.to.length ? '' : ' (its alert matched no route: stored, delivered nowhere)'}`);
      }

      for (const row of await recoveredHeartbeats(ctx.db, now)) {
        const r = await ctx.fenced(async (tx) => ((await markUp(tx, row.name, now)) ? resolveMissed(tx, row.name, now, ctx.configured, 'pings resumed') : undefined));
        if (r === undefined) continue;
        for (const d of r) woken.add(d);
        ctx.logger.info({ heartbeat: row.name }, `heartbeat ${row.name} is pinged again: its alert is resolved`);
      }

      await recordFinished(ctx, now);
      await startForwards(ctx, now);
      return { woken, more: missed.length >= 100 };
    },
    nextDueAt: (db, now) => nextHeartbeatDue(db, now),
    stop() {
      // Sends still on the wire finish, but their outcome is not written by a former holder of the lease.
      generation++;
      finished = [];
      synced = undefined;
    },
  };
}
