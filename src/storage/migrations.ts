import { Migrator, sql, type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { isPostgres } from './dialect.ts';

/**
 * Row ids: SQLite's `integer primary key autoincrement` is already 64-bit; PostgreSQL gets a bigint identity (an
 * `integer` would run out after 2^31 deliveries). SQLite's SQL is what it always was.
 */
const idType = (db: Kysely<any>) => (isPostgres(db) ? 'bigint' : 'integer');
const idColumn = (db: Kysely<any>) => (c: ColumnDefinitionBuilder) => (isPostgres(db) ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement());

/**
 * One migration history for SQLite and PostgreSQL, written with the schema builder so both dialects get the same
 * tables. Never edit a released migration: add the next one (0001's id columns were given their PostgreSQL types before
 * any PostgreSQL database existed; the SQL it runs on SQLite is unchanged).
 */
const migrations: Record<string, Migration> = {
  '0001_core': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('dedup_key', 'text', (c) => c.notNull())
        .addColumn('external_key', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('episode', 'integer', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('severity', 'text')
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('source_url', 'text')
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('routed_to', 'text', (c) => c.notNull())
        .addColumn('event_count', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('last_event_at', 'bigint', (c) => c.notNull())
        .addColumn('resolved_at', 'bigint')
        .addColumn('acknowledged_at', 'bigint')
        .addUniqueConstraint('alerts_identity', ['source', 'dedup_key'])
        .execute();
      await db.schema.createIndex('alerts_state_updated').on('alerts').columns(['state', 'updated_at']).execute();

      await db.schema
        .createTable('transitions')
        .addColumn('id', idType(db), idColumn(db))
        .addColumn('alert_id', 'text', (c) => c.notNull())
        .addColumn('episode', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('from_state', 'text')
        .addColumn('to_state', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('transitions_alert').on('transitions').columns(['alert_id', 'id']).execute();

      await db.schema
        .createTable('deliveries')
        .addColumn('id', idType(db), idColumn(db))
        .addColumn('destination', 'text', (c) => c.notNull())
        .addColumn('alert_id', 'text', (c) => c.notNull())
        .addColumn('episode', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('priority', 'integer', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('request_id', 'text')
        .addColumn('response_excerpt', 'text')
        .addColumn('hint', 'text')
        .addColumn('latency_ms', 'integer')
        .execute();
      await db.schema.createIndex('deliveries_queue').on('deliveries').columns(['destination', 'status', 'next_attempt_at']).execute();
      await db.schema.createIndex('deliveries_alert').on('deliveries').columns(['alert_id', 'destination', 'id']).execute();
      await db.schema.createIndex('deliveries_status').on('deliveries').columns(['status', 'id']).execute();

      await db.schema
        .createTable('delivery_attempts')
        .addColumn('id', idType(db), idColumn(db))
        .addColumn('delivery_id', idType(db), (c) => c.notNull())
        .addColumn('destination', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('latency_ms', 'integer', (c) => c.notNull())
        .addColumn('request_id', 'text')
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('attempts_delivery').on('delivery_attempts').columns(['delivery_id']).execute();
      await db.schema.createIndex('attempts_destination_at').on('delivery_attempts').columns(['destination', 'at']).execute();

      await db.schema
        .createTable('destination_state')
        .addColumn('destination', 'text', (c) => c.notNull())
        .addColumn('alert_id', 'text', (c) => c.notNull())
        .addColumn('episode', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('destination_state_pk', ['destination', 'alert_id', 'episode'])
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['destination_state', 'delivery_attempts', 'deliveries', 'transitions', 'alerts']) {
        await db.schema.dropTable(t).execute();
      }
    },
  },
  '0002_sticky_routing': {
    async up(db: Kysely<any>) {
      // The flat labels every matcher sees, stored so active alerts can be routed again after a config change.
      await db.schema.alterTable('alerts').addColumn('labels', 'text', (c) => c.notNull().defaultTo('{}')).execute();
      // The labels the parser set by name (merged like metadata within an episode); null when it set none.
      await db.schema.alterTable('alerts').addColumn('parser_labels', 'text').execute();
      // A destination the sender named for this episode (Versus' ?destination=): it holds for the whole episode.
      await db.schema.alterTable('alerts').addColumn('route_override', 'text').execute();
      await db.schema.createIndex('alerts_active').on('alerts').columns(['state', 'id']).execute();
      // What each destination name delivered to when last started (no secrets): a name re-pointed elsewhere
      // must get the active alerts again.
      await db.schema
        .createTable('destination_targets')
        .addColumn('destination', 'text', (c) => c.primaryKey())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('destination_targets').execute();
      await db.schema.dropIndex('alerts_active').execute();
      await db.schema.alterTable('alerts').dropColumn('route_override').execute();
      await db.schema.alterTable('alerts').dropColumn('parser_labels').execute();
      await db.schema.alterTable('alerts').dropColumn('labels').execute();
    },
  },
  '0003_claim_indexes': {
    async up(db: Kysely<any>) {
      // The claim walks pending rows in the order it hands them out (most severe, then oldest) and stops after
      // `limit`, instead of reading every due row and sorting them. next_attempt_at and alert_id ride along so rows
      // that are not due yet, or wait behind their alert's older row, are skipped from the index alone.
      await db.schema
        .createIndex('deliveries_claim')
        .on('deliveries')
        .columns(['destination', 'status', 'priority desc', 'id', 'next_attempt_at', 'alert_id'])
        .execute();
      // Per-alert lookups by status (the claim's "older row pending or in flight?", the outbox's "pending row to
      // coalesce into?") become seeks instead of reading the alert's whole delivery history. It replaces
      // deliveries_alert (alert_id, destination, id): every query that used that one seeks the same prefix here.
      await db.schema.createIndex('deliveries_alert_status').on('deliveries').columns(['alert_id', 'destination', 'status', 'id']).execute();
      await db.schema.dropIndex('deliveries_alert').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.createIndex('deliveries_alert').on('deliveries').columns(['alert_id', 'destination', 'id']).execute();
      await db.schema.dropIndex('deliveries_alert_status').execute();
      await db.schema.dropIndex('deliveries_claim').execute();
    },
  },
  '0004_leases': {
    async up(db: Kysely<any>) {
      // One holder per name across every instance on the database (a destination's sender, later the schedulers).
      // `epoch` is the fencing token: it grows with every change of holder, and each write of the holder's checks it,
      // so a holder that was taken over (it stalled past its expiry) can no longer claim or record anything.
      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('epoch', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('acquired_at', 'bigint', (c) => c.notNull())
        .addColumn('renewed_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('leases').execute();
    },
  },
  '0005_escalations': {
    async up(db: Kysely<any>) {
      // An escalation's later steps, one row each, scheduled when an episode begins: durable timers, so a restart
      // inside the window neither loses nor repeats a step (a step fires in the transaction that marks it fired).
      await db.schema
        .createTable('escalations')
        .addColumn('id', idType(db), idColumn(db))
        .addColumn('alert_id', 'text', (c) => c.notNull())
        .addColumn('episode', 'integer', (c) => c.notNull())
        .addColumn('step', 'integer', (c) => c.notNull())
        .addColumn('due_at', 'bigint', (c) => c.notNull())
        .addColumn('destinations', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('escalations_due').on('escalations').columns(['status', 'due_at', 'id']).execute();
      await db.schema.createIndex('escalations_alert').on('escalations').columns(['alert_id', 'episode', 'status']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('escalations').execute();
    },
  },
  '0006_stale_alerts': {
    async up(db: Kysely<any>) {
      // `resolve_after`: the scheduler looks for a source's active alerts silent since a time, oldest first.
      await db.schema.createIndex('alerts_stale').on('alerts').columns(['source', 'state', 'last_event_at']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('alerts_stale').execute();
    },
  },
  '0007_silences': {
    async up(db: Kysely<any>) {
      // Alertmanager's silences (docs/silences.md): matchers as JSON, in force from starts_at until ends_at (or
      // expired_at, when someone ended it early).
      await db.schema
        .createTable('silences')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('matchers', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'bigint', (c) => c.notNull())
        .addColumn('ends_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('expired_at', 'bigint')
        .execute();
      await db.schema.createIndex('silences_ends').on('silences').columns(['ends_at']).execute();
      // A muted delivery (status `muted`) says why: `silence:<id>`, `inhibition:<alert id>`, `interval:<name>`.
      await db.schema.alterTable('deliveries').addColumn('muted_by', 'text').execute();
      // The mute task looks at muted rows only; a partial index costs the hot path's other inserts nothing.
      await db.schema.createIndex('deliveries_muted').on('deliveries').column('id').where(sql.ref('status'), '=', 'muted').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('deliveries_muted').execute();
      await db.schema.alterTable('deliveries').dropColumn('muted_by').execute();
      await db.schema.dropTable('silences').execute();
    },
  },
  '0008_heartbeats': {
    async up(db: Kysely<any>) {
      // Dead man's switches: one row per configured heartbeat. A ping moves due_at (one statement, no read first); the
      // scheduler compares due_at with the time and state ('up' | 'down': whether the missed alert was raised), so a
      // restart neither resets the clock nor raises an alert twice. forward_* is the durable queue of the ping still
      // to be sent on to incident.io (only the latest matters).
      await db.schema
        .createTable('heartbeats')
        // NOT NULL said: SQLite lets a text primary key hold NULL otherwise (PostgreSQL never does).
        .addColumn('name', 'text', (c) => c.primaryKey().notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('period_ms', 'bigint', (c) => c.notNull())
        .addColumn('last_ping_at', 'bigint')
        .addColumn('due_at', 'bigint', (c) => c.notNull())
        .addColumn('pings', 'bigint', (c) => c.notNull())
        .addColumn('down_since', 'bigint')
        .addColumn('forward_ping_at', 'bigint')
        .addColumn('forward_next_at', 'bigint')
        .addColumn('forward_failures', 'integer', (c) => c.notNull())
        .addColumn('forwarded_at', 'bigint')
        .addColumn('forward_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('heartbeats').execute();
    },
  },
  '0009_refresh': {
    async up(db: Kysely<any>) {
      // `refresh_after` (core/refresh.ts): when each active alert was last delivered to each destination, so the
      // scheduler finds the ones due for a refresh by a range scan of refresh_due in due order (O(batch), whatever the
      // number of active alerts). A table rather than an alerts column: the time is per destination, and a write here
      // is one upsert in the outcome's commit instead of an update of the wide, hot alerts row.
      await db.schema
        .createTable('refresh')
        .addColumn('destination', 'text', (c) => c.notNull())
        .addColumn('alert_id', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('refresh_pk', ['destination', 'alert_id'])
        .execute();
      await db.schema.createIndex('refresh_due').on('refresh').columns(['destination', 'sent_at']).execute();
      // Alerts already active when this runs: their last delivery of the current episode, so they are refreshed too.
      await db
        .insertInto('refresh')
        .columns(['destination', 'alert_id', 'sent_at'])
        .expression(
          db
            .selectFrom('deliveries as d')
            .innerJoin('alerts as a', 'a.id', 'd.alert_id')
            .select(['d.destination', 'd.alert_id', (eb) => eb.fn.max('d.delivered_at').as('sent_at')])
            .where('d.status', '=', 'delivered')
            .where('a.state', 'in', ['firing', 'acknowledged'])
            .whereRef('d.episode', '=', 'a.episode')
            .groupBy(['d.destination', 'd.alert_id']),
        )
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('refresh').execute();
    },
  },
  '0010_stale_at': {
    async up(db: Kysely<any>) {
      // One due time per alert for every kind of TTL (the event's own, its route's, its source's resolve_after): the
      // scheduler reads the index in due order instead of one query per source. Set at each event and at each reload.
      await db.schema.alterTable('alerts').addColumn('event_ttl_ms', 'bigint').execute();
      await db.schema.alterTable('alerts').addColumn('stale_at', 'bigint').execute();
      await db.schema.createIndex('alerts_stale_at').on('alerts').column('stale_at').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('alerts_stale_at').execute();
      await db.schema.alterTable('alerts').dropColumn('stale_at').execute();
      await db.schema.alterTable('alerts').dropColumn('event_ttl_ms').execute();
    },
  },
  '0011_queries': {
    async up(db: Kysely<any>) {
      // One row per run of a scheduled alert query, claimed before it runs: (query, slot) is unique, so a slot runs
      // once across restarts and instances (src/queries/, src/timers/queries-task.ts). The unique index also serves
      // "the last runs of a query" (newest slot first).
      await db.schema
        .createTable('query_runs')
        .addColumn('id', idType(db), idColumn(db))
        .addColumn('query', 'text', (c) => c.notNull())
        .addColumn('slot', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('duration_ms', 'bigint')
        .addColumn('row_count', 'integer')
        .addColumn('truncated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('error', 'text')
        .addUniqueConstraint('query_runs_slot', ['query', 'slot'])
        .execute();
      await db.schema.createIndex('query_runs_status').on('query_runs').columns(['status']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('query_runs').execute();
    },
  },
};

/** Every migration's name. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations);

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    // The cause keeps SQLite's error code: start waits out a locked or full database instead of exiting.
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

export async function ping(db: Kysely<any>): Promise<void> {
  await sql`select 1`.execute(db);
}
