/** What a destination's worker is given (senders.ts builds it), and what it tells the metrics. */
import type { Logger } from 'pino';
import type { HolderId } from '../cluster/holder.ts';
import type { Clock } from '../domain/clock.ts';
import type { Destination, DeliveryPayload, SendOutcome } from '../destinations/types.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { Db } from '../storage/schema.ts';
import type { OutcomeSubscriber } from './outcome-events.ts';
import type { BackoffOptions } from './retry-policy.ts';

export interface DeliveryObserver {
  attempt(destination: string, outcome: SendOutcome['kind'], latencyMs: number): void;
  rateLimitWait(destination: string, ms: number): void;
  /** This instance became (or stopped being) the destination's sender; `tookOver`: from a holder that failed. */
  senderState?(destination: string, held: boolean, tookOver: boolean): void;
  /** The destination stopped answering (outage.ts), or answers again. */
  destinationDown?(destination: string, down: boolean): void;
}

export interface WorkerOptions {
  db: Db;
  /** Claims and outcomes share commits with ingest: one fsync covers many deliveries. */
  commits: GroupCommit;
  destination: Destination;
  clock: Clock;
  random: () => number;
  logger: Logger;
  observer: DeliveryObserver;
  concurrency: number;
  maxRetryAgeMs: number;
  /** The longest Retry-After honoured (delivery.max_retry_after); DEFAULT_MAX_RETRY_AFTER_MS when not given. */
  maxRetryAfterMs?: number;
  pollIntervalMs: number;
  backoff: BackoffOptions;
  /** This process, as lease holder: one sender per destination across every instance on the database. */
  holder: HolderId;
  leaseTtlMs: number;
  /** Webhooks subscribed to delivery outcomes (outcome-events.ts), read at each outcome: a reload applies at once. */
  outcomeSubscribers?: () => readonly OutcomeSubscriber[];
  /** Rows were queued for these other destinations (outcome events): their senders should look now. */
  wakeOthers?: (destinations: Iterable<string>) => void;
  /** The signed acknowledge link for a payload (src/ack/token.ts), or undefined: handed to send() in its context. */
  ackLink?: (payload: DeliveryPayload) => string | undefined;
  /** Settles when rows may be taken: a storm summary being decided goes first (senders.ts). */
  beforeClaim?: () => Promise<void> | undefined;
  /** Whether the destination can re-send what fires (`refresh_after`), read at each outcome: then the last send is kept (record.ts). */
  refreshes?: () => boolean;
}
