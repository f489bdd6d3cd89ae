import { sql, type Kysely, type Migration } from 'kysely';
import { idColumn, idType } from './ids.ts';

/** Migrations 0008_heartbeats to 0011_queries. Never edit a released one: add the next (see ../migrations.ts). */
export const migrations: Record<string, Migration> = {
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
      // Partial: most alerts have no time to live (Alertmanager's resolve themselves), and cost this index nothing.
      await db.schema.createIndex('alerts_stale_at').on('alerts').column('stale_at').where(sql.ref('stale_at'), 'is not', null).execute();
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
  '0012_drop_alerts_stale': {
    async up(db: Kysely<any>) {
      // 0006's (source, state, last_event_at) served the per-source resolve_after scan, which 0010's stale_at replaced;
      // kept, it cost every event a write to an index nothing reads (last_event_at moves on every repeat).
      await db.schema.dropIndex('alerts_stale').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.createIndex('alerts_stale').on('alerts').columns(['source', 'state', 'last_event_at']).execute();
    },
  },
};
