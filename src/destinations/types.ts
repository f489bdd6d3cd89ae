import type { JsonObject, Severity } from '../domain/alert.ts';
import type { OutcomeDocument } from './outcome-document.ts';

/**
 * The alert state one delivery carries, captured when the transition happened and replaced while the delivery
 * is still pending (coalescing). Destinations turn it into their own wire format at send time.
 */
export interface DeliveryPayload {
  alertId: string;
  source: string;
  dedupKey: string;
  /** The key incident.io sees; identical for every send of this alert. */
  externalKey: string;
  episode: number;
  status: 'firing' | 'resolved';
  title: string;
  description?: string;
  severity?: Severity;
  metadata: JsonObject;
  sourceUrl?: string;
  /** When the alert reached this state (epoch ms). */
  at: number;
  /** A connection test (`tocsin test-connection`): destinations that can, mark it so nobody is paged. */
  test?: boolean;
  /**
   * Somebody is on it (src/ack/). `status` stays `firing`, as incident.io has only firing and resolved; destinations
   * that show state to people say acknowledged (and by whom, when known) instead.
   */
  acknowledged?: { at: number; by?: string };
  /**
   * Set on a delivery outcome event for a subscribed `webhook` (delivery/outcome-events.ts): the document to post
   * instead of the alert's. The other fields describe the alert concerned.
   */
  outcome?: OutcomeDocument;
}

/** The state a person should see: acknowledged is a firing alert somebody took on. */
export const shownState = (p: DeliveryPayload): 'firing' | 'acknowledged' | 'resolved' => (p.status === 'resolved' ? 'resolved' : p.acknowledged ? 'acknowledged' : 'firing');

interface Response {
  statusCode?: number;
  requestId?: string;
  responseExcerpt?: string;
}

/** One attempt's result. Destinations never loop or sleep: the queue owns retries (DESIGN.md). */
export type SendOutcome =
  | (Response & {
      kind: 'delivered';
      statusCode: number;
      /** Remembered for this alert episode and handed back on the next send (e.g. the incident created). */
      state?: JsonObject;
      /** A line for people, e.g. `created INC-123`. */
      detail?: string;
    })
  | (Response & {
      kind: 'retry';
      error: string;
      retryAfterMs?: number;
      /** What this attempt learned though it must be retried (e.g. the incident a replayed create returned). */
      state?: JsonObject;
    })
  | (Response & { kind: 'failed'; error: string; hint: string });

export interface RateLimit {
  perMinute: number;
  burst: number;
}

/** What the queue knows about this episode's history with the destination, beyond its remembered state. */
export interface SendContext {
  /**
   * An earlier attempt of this episode to this destination may have taken effect though tocsin never read its
   * answer (timeout, connection dropped after the request left, crash before the outcome was committed). Attempts
   * the destination refused with a 4xx do not count: those certainly changed nothing. Worked out only for a
   * resolve with no remembered state (the one case it decides); false otherwise.
   */
  earlierAttemptMayHaveLanded: boolean;
  /**
   * The signed link that acknowledges this alert episode (src/ack/token.ts), when `ack:` is configured and the state
   * is firing and unacknowledged. Made at send time from the payload, never stored.
   */
  ackUrl?: string | undefined;
}

export const NO_HISTORY: SendContext = { earlierAttemptMayHaveLanded: false };

export interface Destination {
  readonly name: string;
  readonly type: string;
  readonly rateLimit: RateLimit;
  /**
   * The longest one send() can take (its requests' timeouts). After a takeover, rows the previous sender may still be
   * sending wait this long before they are sent again, so a late request of the old sender cannot arrive after a newer
   * state of the same alert.
   */
  readonly sendTimeoutMs?: number;
  /**
   * Its messages show state to people, so an acknowledgement (and taking it back) is sent to it too. incident.io
   * destinations leave it out: an alert event has only firing and resolved, and the same firing again is noise.
   */
  readonly updatesOnAcknowledge?: boolean;
  /** `previous`: the state a delivered attempt of this episode remembered (SendOutcome.state). */
  send(payload: DeliveryPayload, previous: JsonObject | undefined, context?: SendContext): Promise<SendOutcome>;
  close?(): Promise<void>;
}
