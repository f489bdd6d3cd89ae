import { type Kysely, type Migration, sql } from 'kysely';
import { idColumn, idType } from './ids.ts';

/** Migrations 0004_leases to 0007_silences. Never edit a released one: add the next (see ../migrations.ts). */
export const migrations: Record<string, Migration> = {
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
};
