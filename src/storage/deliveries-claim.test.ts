import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { deliveryRow, seedDeliveries } from '../../test/storage-dialects.ts';
import { claimable } from './deliveries-claim.ts';
import { openSqlite } from './sqlite.ts';

/**
 * SQLite's query plan for the claim. The claim's rules (order, per-alert order, one in flight per alert, due rows) run
 * on both dialects in deliveries-claim.contract.test.ts.
 */
const NOW = 1_000_000;

test('the claim walks its index in hand-out order and stops: no sort of the backlog, no scan of history', async () => {
  const db = await openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'tocsin-claim-')), 't.db') });
  await seedDeliveries(
    db,
    Array.from({ length: 1_000 }, (_, i) => deliveryRow(`A${i}`, { next_attempt_at: NOW })),
  );
  const explain = async (q: { compile(): CompiledQuery }) => {
    const c = q.compile();
    const r = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${c.sql}`, [...c.parameters]));
    return r.rows.map((x) => x.detail).join('\n');
  };
  const plan = await explain(claimable(db, 'pager', 4, NOW));
  assert.match(plan, /SEARCH d USING COVERING INDEX deliveries_claim \(destination=\? AND status=\?\)/);
  assert.doesNotMatch(plan, /TEMP B-TREE/);
  assert.equal(plan.match(/SEARCH e USING COVERING INDEX deliveries_alert_status/g)?.length, 2, plan);
  await db.destroy();
});
