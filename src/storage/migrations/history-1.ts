import { type Kysely, type Migration } from 'kysely';
import { idColumn, idType } from './ids.ts';

/** Migrations 0001_core to 0003_claim_indexes. Never edit a released one: add the next (see ../migrations.ts). */
export const migrations: Record<string, Migration> = {
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
};
