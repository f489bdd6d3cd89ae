import type { Logger } from 'pino';
import type { HolderId } from '../cluster/holder.ts';
import { Lease } from '../cluster/lease.ts';
import type { Clock } from '../domain/clock.ts';
import type { Destination } from '../destinations/types.ts';
import { requeueInFlight } from '../storage/deliveries-claim.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { Db } from '../storage/schema.ts';

/** The lease that makes an instance a destination's one sender. */
export const senderLeaseName = (destination: string) => `destination:${destination}`;

export interface SenderLeaseOptions {
  db: Db;
  commits: GroupCommit;
  clock: Clock;
  logger: Logger;
  holder: HolderId;
  ttlMs: number;
  /** The destination now (a reload may replace it): its send timeout sets how long a takeover waits. */
  destination: () => Destination;
  /** A new tenure began: whatever the last one left unsent was requeued with everything else in flight. */
  onNewTenure: () => void;
  onHeld: (held: boolean, tookOver: boolean) => void;
  onLost: () => void;
}

/**
 * The destination's lease, and what taking it over puts right. Rows the previous sender had in flight may or may not
 * have reached the destination: sending them again is safe (same deduplication or idempotency key), leaving them
 * would strand them. A sender whose lease expired may be alive and still sending: its rows wait until any request it
 * started is over, and newer rows of those alerts wait behind them, so a late request cannot overtake a newer state.
 * A dead process sends nothing more (a second covers what its last writes left in the kernel).
 */
export function senderLease(o: SenderLeaseOptions): Lease {
  const name = o.destination().name;
  return new Lease({
    db: o.db,
    commits: o.commits,
    clock: o.clock,
    logger: o.logger,
    name: senderLeaseName(name),
    me: o.holder,
    ttlMs: o.ttlMs,
    onAcquire: async (tx, taken) => {
      const now = o.clock.now();
      const grace = taken.from?.expired ? (o.destination().sendTimeoutMs ?? 30_000) + 1000 : 1000;
      o.onNewTenure();
      await requeueInFlight(tx, now, name, now + grace);
    },
    onHeld: o.onHeld,
    onLost: o.onLost,
  });
}
