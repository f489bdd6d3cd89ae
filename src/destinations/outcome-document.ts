/**
 * A delivery outcome event (Nexla's "response webhook"): what a `webhook` destination with `on:` receives when a
 * delivery to another destination is delivered or dead-lettered (delivery/outcome-events.ts queues it). Every key is
 * always present (absent values are null). docs/destinations.md documents it; change both together.
 */
export const OUTCOME_EVENTS = ['delivery.delivered', 'delivery.dead'] as const;
export type OutcomeEventType = (typeof OUTCOME_EVENTS)[number];

export interface OutcomeDocument {
  type: OutcomeEventType;
  /** The delivery (tocsin deliveries show <id>): the same id for every attempt at that alert state there. */
  delivery_id: number;
  /** The destination the delivery went to (its name in the config). */
  destination: string;
  /** How many attempts it took (or were made before it was given up). */
  attempts: number;
  /** The alert concerned: tocsin's alert id, its source, the sender's key, the key incident.io sees, the episode. */
  alert_id: string;
  source: string;
  dedup_key: string;
  key: string;
  episode: number;
  /** The state that was delivered (or not): `firing` or `resolved`. */
  alert_status: 'firing' | 'resolved';
  title: string;
  /** The destination's last HTTP status, when there was an answer. */
  status_code: number | null;
  /** incident.io's (or the receiver's) request id, for support. */
  request_id: string | null;
  /** A delivered one: what the destination said (e.g. `created INC-123`); null when it said nothing. */
  detail: string | null;
  /** A dead one: why, and what to do about it. Neither ever holds a URL or a secret. */
  error: string | null;
  hint: string | null;
  /** When the outcome was recorded (ISO 8601, UTC). */
  at: string;
}
