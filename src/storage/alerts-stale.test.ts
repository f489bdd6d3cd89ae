/** The time-to-live scan reads the partial `alerts_stale_at` index in due order: it never sorts the active alerts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { alertRow } from '../../test/storage-dialects.ts';
import { insertAlert, staleAlertsQuery } from './alerts-repo.ts';
import { openSqlite } from './sqlite.ts';

test('SQLite plans the stale scan on alerts_stale_at, without a sort, with thousands of active alerts', async () => {
  const db = await openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'tocsin-stale-')), 't.db') });
  for (let i = 0; i < 2000; i++) await insertAlert(db, alertRow(`A${String(i).padStart(5, '0')}`, { dedup_key: `k${i}`, stale_at: i % 10 ? null : 1_000 + i }));
  await db.executeQuery(CompiledQuery.raw('analyze'));
  const c = staleAlertsQuery(db, 5_000, 100).compile();
  const plan = (await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${c.sql}`, [...c.parameters]))).rows.map((r) => r.detail).join('\n');
  assert.match(plan, /USING INDEX alerts_stale_at/);
  assert.doesNotMatch(plan, /TEMP B-TREE/);
  assert.equal((await staleAlertsQuery(db, 5_000, 1000).execute()).length, 200);
  await db.destroy();
});
