import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { freshPostgres } from '../../test/postgres.ts';
import { openPostgres } from './postgres.ts';

test('a server that acknowledges commits it may lose (synchronous_commit=off) gets durable commits from tocsin', async () => {
  // The test server runs with synchronous_commit=off for speed: exactly the setting tocsin must not inherit.
  const pg = await freshPostgres();
  const db = await openPostgres({ url: pg.url, poolSize: 2 });
  try {
    const r = await sql<{ v: string; n: number }>`select current_setting('synchronous_commit') as v, count(*) as n from leases`.execute(db);
    assert.equal(r.rows[0]!.v, 'on');
    assert.equal(r.rows[0]!.n, 0, 'int8 reads back as a number');
  } finally {
    await db.destroy();
    await pg.drop();
  }
});
