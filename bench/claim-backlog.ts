/**
 * The claim measurement of `npm run bench:claim` and `npm run bench:cluster`: what taking the next deliveries costs
 * with a large pending backlog, on SQLite and on PostgreSQL, and PostgreSQL's plan for it. The same mix of rows on
 * both (severities, some backing off, some waiting behind an in-flight row), each claim in a transaction that is
 * rolled back so every repetition sees the same queue.
 */
import { CompiledQuery, sql } from 'kysely';
import { claimable, claimDeliveries } from '../src/storage/deliveries-claim.ts';
import type { Db } from '../src/storage/schema.ts';

const NOW = 1_700_000_000_000;
export const CLAIM_REPS = 300;

/** `pending` rows for destination `oncall`: 1 in 10 backing off (not due), 1 in 100 waiting behind an in-flight row. */
export async function seedBacklog(db: Db, pending: number): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const rows = [];
    for (let i = 0; i < pending; i++) {
      const blocked = i % 100 === 7;
      const base = { destination: 'oncall', alert_id: `A${String(i).padStart(7, '0')}`, episode: 1, payload: '{"status":"firing","title":"bench"}', attempts: 0, created_at: NOW - 60_000, updated_at: NOW };
      if (blocked) rows.push({ ...base, status: 'in_flight' as const, priority: 3, next_attempt_at: NOW - 60_000, attempts: 1 });
      rows.push({ ...base, status: 'pending' as const, priority: (i * 7) % 5, next_attempt_at: i % 10 === 3 ? NOW + 60_000 : NOW - 1000 });
      if (rows.length >= 400 || i === pending - 1) {
        await tx.insertInto('deliveries').values(rows).execute();
        rows.length = 0;
      }
    }
  });
  // What autovacuum (PostgreSQL) or an operator's ANALYZE (SQLite) would have done after so many inserts: the plan
  // below is the one a long-running deployment gets, not the one of a table without statistics.
  await sql`analyze`.execute(db);
}

class Rollback extends Error {}

async function timeClaim(db: Db, limit: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < CLAIM_REPS; i++) {
    const t = performance.now();
    await db
      .transaction()
      .execute(async (tx) => {
        const rows = await claimDeliveries(tx, 'oncall', limit, NOW);
        if (rows.length !== limit) throw new Error(`the claim returned ${rows.length} rows, not ${limit}`);
        throw new Rollback();
      })
      .catch((e: unknown) => {
        if (!(e instanceof Rollback)) throw e;
      });
    out.push((performance.now() - t) * 1000);
  }
  return out.sort((a, b) => a - b);
}

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

export interface ClaimFigures {
  c4p50: number;
  c4p90: number;
  c64p50: number;
}

/** Claim latencies (µs) on a seeded database. */
export async function claimFigures(db: Db): Promise<ClaimFigures> {
  await timeClaim(db, 4); // warm the statement cache and the page cache
  const c4 = await timeClaim(db, 4);
  const c64 = await timeClaim(db, 64);
  return { c4p50: q(c4, 0.5), c4p90: q(c4, 0.9), c64p50: q(c64, 0.5) };
}

/**
 * PostgreSQL's plan for the claim of 4, run for real (EXPLAIN ANALYZE, inside a transaction rolled back): the node
 * lines, and whether anything sorts. The claim must walk deliveries_claim in hand-out order and stop after `limit`.
 */
export async function postgresClaimPlan(db: Db): Promise<{ lines: string[]; sorts: boolean; usesClaimIndex: boolean }> {
  const c = claimable(db, 'oncall', 4, NOW).compile();
  let lines: string[] = [];
  await db
    .transaction()
    .execute(async (tx) => {
      const r = await tx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain (analyze, costs off, timing off, summary off) ${c.sql}`, [...c.parameters]));
      lines = r.rows.map((x) => x['QUERY PLAN']);
      throw new Rollback();
    })
    .catch((e: unknown) => {
      if (!(e instanceof Rollback)) throw e;
    });
  return {
    lines,
    sorts: lines.some((l) => /\bSort\b/.test(l)),
    usesClaimIndex: lines.some((l) => /Index (Only )?Scan using deliveries_claim on deliveries d\b/.test(l)),
  };
}
