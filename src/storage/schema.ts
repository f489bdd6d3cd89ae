import type { Generated, Insertable, Kysely, Selectable, Transaction } from 'kysely';

/**
 * Table types for the query builder. Times are epoch milliseconds (integers in both dialects), JSON is stored as
 * text so SQLite and PostgreSQL read back the same thing.
 */
export interface AlertsTable {
  id: string;
  source: string;
  dedup_key: string;
  /** The key incident.io sees (`<source>:<dedup_key>`, hashed when long): stored so it can never drift. */
  external_key: string;
  state: 'firing' | 'acknowledged' | 'resolved';
  episode: number;
  title: string;
  description: string | null;
  severity: string | null;
  metadata: string;
  source_url: string | null;
  content_hash: string;
  /**
   * JSON array of every destination this episode was queued to (sticky: only grows within an episode, so a resolve
   * reaches everywhere the alert went); `[]` means no route matched.
   */
  routed_to: string;
  /** JSON `Labels`: what matchers see (domain/labels.ts). */
  labels: string;
  /** JSON `ParserLabels` the parser set by name, or null: the base later events' labels merge onto. */
  parser_labels: string | null;
  /** The destination a sender named for this episode, which replaces routing until the episode ends. */
  route_override: string | null;
  event_count: number;
  created_at: number;
  updated_at: number;
  last_event_at: number;
  resolved_at: number | null;
  acknowledged_at: number | null;
  /** The time to live the last event gave itself (`AlertEvent.resolveAfterMs`), kept so a reload can recompute stale_at. */
  event_ttl_ms: number | null;
  /** When this active alert is resolved for want of a new event (resolve_after / TTL); null when none applies. */
  stale_at: number | null;
}

export interface TransitionsTable {
  id: Generated<number>;
  alert_id: string;
  episode: number;
  kind: string;
  from_state: string | null;
  to_state: string;
  /** Who caused it: a source name, or `api` for a person acting through the management API. */
  actor: string;
  content: string;
  at: number;
}

/** `orphaned`: queued for a destination the config no longer has; pending again once it is back. */
/**
 * `muted`: held back by a silence, a time interval or an inhibition (mute/); pending again when that lifts.
 * `suppressed`: a muted row whose alert resolved before the mute lifted: never sent (docs/silences.md).
 */
export type DeliveryStatus = 'pending' | 'in_flight' | 'delivered' | 'dead' | 'skipped' | 'superseded' | 'orphaned' | 'muted' | 'suppressed';

export interface DeliveriesTable {
  id: Generated<number>;
  destination: string;
  alert_id: string;
  episode: number;
  status: DeliveryStatus;
  /** The alert state to send (a DeliveryPayload as JSON); replaced while pending (coalescing). */
  payload: string;
  /** Higher goes first when a backlog must be drained; from severity. */
  priority: number;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  request_id: string | null;
  response_excerpt: string | null;
  hint: string | null;
  latency_ms: number | null;
  /** Why a `muted` row waits (mute/decide.ts encodeReason); kept on the row once it is sent or suppressed. */
  muted_by: Generated<string | null>;
}

export interface DeliveryAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  destination: string;
  at: number;
  outcome: 'delivered' | 'retry' | 'failed';
  status_code: number | null;
  latency_ms: number;
  request_id: string | null;
  error: string | null;
}

/** What a destination remembers per alert episode, e.g. the incident it created. */
export interface DestinationStateTable {
  destination: string;
  alert_id: string;
  episode: number;
  state: string;
  updated_at: number;
}

export interface DestinationTargetsTable {
  destination: string;
  target: string;
  updated_at: number;
}

/** A named lease (migration 0004): who may act for it until when, and the fencing token of that tenure. */
export interface LeasesTable {
  name: string;
  /** `host:boot:pid:nonce` (leases-repo.ts), so a restart on the same machine can tell its dead predecessor. */
  holder: string;
  epoch: number;
  expires_at: number;
  acquired_at: number;
  renewed_at: number;
}

/** A later step of an escalation (migration 0005): due at `due_at` unless the episode was acknowledged or ended. */
export interface EscalationsTable {
  id: Generated<number>;
  alert_id: string;
  episode: number;
  /** 1 for the first later step (step 0 goes out with the alert). */
  step: number;
  due_at: number;
  /** JSON array of destination names. */
  destinations: string;
  status: 'pending' | 'fired' | 'cancelled';
  /** Why a step did not fire: acknowledged, resolved, a new episode. */
  reason: string | null;
  created_at: number;
  updated_at: number;
}

/** A silence (migration 0007): its matchers mute matching alerts from starts_at until ends_at or expired_at. */
export interface SilencesTable {
  id: string;
  /** JSON array of `{ label, op, value }`. */
  matchers: string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  comment: string;
  created_at: number;
  updated_at: number;
  /** Set when someone ended it before ends_at (DELETE, `tocsin silence expire`). */
  expired_at: number | null;
}

/** When an active alert was last delivered to a destination (migration 0009): `refresh_after` re-sends it after that. */
export interface RefreshTable {
  destination: string;
  alert_id: string;
  /** When its last firing state was delivered there, or a refresh of it queued (epoch ms). */
  sent_at: number;
}

/** A configured heartbeat (migration 0008): due at `due_at`; `down` once its missed alert was raised. */
export interface HeartbeatsTable {
  name: string;
  state: 'up' | 'down';
  /** every + grace when the row was last set: a changed config moves due_at. */
  period_ms: number;
  /** null until the first ping (the clock then runs from when the heartbeat was configured). */
  last_ping_at: number | null;
  due_at: number;
  pings: number;
  down_since: number | null;
  /** The ping still to be sent on to incident.io (forward), or null. */
  forward_ping_at: number | null;
  forward_next_at: number | null;
  forward_failures: number;
  forwarded_at: number | null;
  /** The last failure to forward (status or network error; never a URL or token). */
  forward_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface Database {
  alerts: AlertsTable;
  transitions: TransitionsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  destination_state: DestinationStateTable;
  destination_targets: DestinationTargetsTable;
  leases: LeasesTable;
  escalations: EscalationsTable;
  heartbeats: HeartbeatsTable;
  silences: SilencesTable;
  refresh: RefreshTable;
  query_runs: QueryRunsTable;
}

/**
 * `running` until recorded; `interrupted` when the process running it stopped first (never run again); `skipped` when
 * the query's previous run was still going at its slot.
 */
export type QueryRunStatus = 'running' | 'ok' | 'failed' | 'timeout' | 'interrupted' | 'skipped';

/** One run of a scheduled alert query (migration 0011): claimed before it runs, unique per (query, slot). */
export interface QueryRunsTable {
  id: Generated<number>;
  query: string;
  /** The schedule's due time this run is for. */
  slot: number;
  status: QueryRunStatus;
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  row_count: number | null;
  /** 1 when more rows than max_rows came back (or did not fit the payload). */
  truncated: number;
  /** Why a run failed, with any credentials taken out. */
  error: string | null;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
export type Executor = Db | Tx;
export type AlertRow = Selectable<AlertsTable>;
export type NewAlertRow = Insertable<AlertsTable>;
export type DeliveryRow = Selectable<DeliveriesTable>;
export type TransitionRow = Selectable<TransitionsTable>;
export type LeaseRow = Selectable<LeasesTable>;
export type EscalationRow = Selectable<EscalationsTable>;
export type SilenceRow = Selectable<SilencesTable>;
export type HeartbeatRow = Selectable<HeartbeatsTable>;
