/**
 * The connectors against real databases: PostgreSQL (the test server), SQLite and DuckDB files. Read-only, the row
 * cap, timeouts that neither hang nor block the event loop, values as JSON, and no credentials in any message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { freshPostgres } from '../../../test/postgres.ts';
import { connect } from './index.ts';
import type { Connector } from './types.ts';

const limits = { maxRows: 10, timeoutMs: 5_000 };
const open: Connector[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of open) await c.close();
  for (const c of cleanups) await c();
});
const connector = (kind: 'postgres' | 'sqlite' | 'duckdb', url: string) => {
  const c = connect({ kind, url });
  open.push(c);
  return c;
};

/** How late a 10 ms timer fires while `work` runs: the event loop must stay free. */
async function loopLagDuring<T>(work: Promise<T>): Promise<{ value: T; worstLagMs: number }> {
  let worst = 0;
  let last = performance.now();
  const t = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 10);
    last = now;
  }, 10);
  try {
    return { value: await work, worstLagMs: worst };
  } finally {
    clearInterval(t);
  }
}

let pgUrl = '';
/** The tables' owner: it may write, so only the read-only transaction stops it. */
let ownerUrl = '';
before(async () => {
  const fresh = await freshPostgres();
  cleanups.push(() => fresh.drop());
  ownerUrl = fresh.url;
  const c = new pg.Client({ connectionString: fresh.url });
  await c.connect();
  await c.query(`create table orders (id bigint, region text, total numeric(10,2), at timestamptz, meta jsonb); create sequence s;
    insert into orders select i, case when i % 2 = 0 then 'eu' else 'us' end, i * 1.5, '2026-01-01T00:00:00Z'::timestamptz + i * interval '1 minute', '{"k": 1}' from generate_series(1, 50) i`);
  // A role with a password, so a url with credentials is exercised (trust authentication accepts any password).
  const role = `reader_${process.pid}_${Date.now().toString(36)}`;
  await c.query(`create role ${role} login password 'S3cretPassw0rd'; grant select on orders to ${role}`);
  await c.end();
  // Roles belong to the server, not the database: dropped once the database is.
  cleanups.push(async () => {
    const admin = new pg.Client({ connectionString: fresh.url.replace(/\/[^/]*$/, '/postgres') });
    await admin.connect();
    await admin.query(`drop role if exists ${role}`).finally(() => admin.end());
  });
  const u = new URL(fresh.url);
  u.username = role;
  u.password = 'S3cretPassw0rd';
  pgUrl = u.toString();
});

test('postgres: rows as JSON (int8 as numbers, timestamps as ISO), max_rows + 1 fetched to know about truncation', async () => {
  const db = connector('postgres', pgUrl);
  const r = await db.run('select id, region, total, at, meta from orders order by id;', limits);
  assert.ok(r.ok);
  assert.deepEqual(r.columns, ['id', 'region', 'total', 'at', 'meta']);
  assert.equal(r.rows.length, 10);
  assert.equal(r.truncated, true);
  assert.deepEqual(r.rows[0], { id: 1, region: 'us', total: '1.50', at: '2026-01-01T00:01:00.000Z', meta: { k: 1 } });
  const count = await db.run('select region, count(*) as n from orders group by region order by region', limits);
  assert.ok(count.ok && !count.truncated);
  assert.deepEqual(count.rows, [{ region: 'eu', n: 25 }, { region: 'us', n: 25 }]);
});

test('postgres: read-only — writes and side effects are refused, even for a role that may write', async () => {
  const db = connector('postgres', ownerUrl);
  for (const sql of ['select nextval(\'s\')', 'delete from orders', 'with d as (delete from orders returning *) select * from d', 'select 1; commit; delete from orders']) {
    const r = await db.run(sql, limits);
    assert.equal(r.ok, false, sql);
  }
  const n = await db.run('select count(*) as n from orders', limits);
  assert.ok(n.ok);
  assert.deepEqual(n.rows, [{ n: 50 }]);
});

test('postgres: a statement past its timeout is canceled by the server and reported as a timeout; the pool goes on', async () => {
  const db = connector('postgres', pgUrl);
  const t0 = performance.now();
  const { value: r, worstLagMs } = await loopLagDuring(db.run('select pg_sleep(5)', { maxRows: 10, timeoutMs: 300 }));
  const took = performance.now() - t0;
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.kind, 'timeout');
  assert.ok(took < 2_000, `took ${took} ms`);
  assert.ok(worstLagMs < 200, `event loop lag ${worstLagMs} ms`);
  assert.ok((await db.run('select 1 as one', limits)).ok);
});

test('postgres: a database that is down or refuses is an error without the password', async () => {
  const u = new URL(pgUrl);
  u.pathname = '/no_such_database';
  const r = await connector('postgres', u.toString()).run('select 1', limits);
  assert.equal(r.ok, false);
  assert.ok(!r.ok && !r.message.includes('S3cretPassw0rd'), !r.ok ? r.message : '');
  const down = await connector('postgres', 'postgres://reader:S3cretPassw0rd@127.0.0.1:1/x').run('select 1', { maxRows: 1, timeoutMs: 1_000 });
  assert.equal(down.ok, false);
  assert.ok(!down.ok && !down.message.includes('S3cretPassw0rd'));
  const syntax = await connector('postgres', pgUrl).run('selec 1', limits);
  assert.ok(!syntax.ok && syntax.kind === 'error' && /syntax error/.test(syntax.message));
});

test('sqlite: read-only file, row cap, values; a write is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-q-'));
  const path = join(dir, 'shop.db');
  const w = new Database(path);
  w.exec(`create table orders (id integer, region text, blob blob); insert into orders values (1, 'eu', x'0102'), (2, 'us', null), (3, 'eu', null)`);
  w.close();
  const db = connector('sqlite', `sqlite:${path}`);
  const r = await db.run('select * from orders order by id', { maxRows: 2, timeoutMs: 5_000 });
  assert.ok(r.ok);
  assert.deepEqual(r.rows, [{ id: 1, region: 'eu', blob: '<2 bytes>' }, { id: 2, region: 'us', blob: null }]);
  assert.equal(r.truncated, true);
  const write = await db.run('delete from orders', limits);
  assert.ok(!write.ok && /not a query that returns rows/.test(write.message));
  const returning = await db.run('delete from orders returning id', limits);
  assert.equal(returning.ok, false, 'a write that returns rows is refused by the read-only connection');
  const missing = await connector('sqlite', `sqlite:${join(dir, 'nope.db')}`).run('select 1', limits);
  assert.equal(missing.ok, false);
});

test('sqlite: a query that never returns is stopped at its timeout, the event loop free meanwhile', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'tocsin-q-')), 'empty.db');
  new Database(path).close();
  const db = connector('sqlite', `sqlite:${path}`);
  const t0 = performance.now();
  const forever = 'with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c';
  const { value: r, worstLagMs } = await loopLagDuring(db.run(forever, { maxRows: 1, timeoutMs: 700 }));
  const took = performance.now() - t0;
  assert.ok(!r.ok && r.kind === 'timeout', JSON.stringify(r));
  assert.ok(took >= 650, `took ${took} ms`);
  assert.ok(took >= 650 && took < 1_500, `took ${took} ms`);
  assert.ok(worstLagMs < 200, `event loop lag ${worstLagMs} ms`);
});

test('duckdb: queries a CSV file; timeouts interrupt', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-q-'));
  const csv = join(dir, 'orders.csv');
  writeFileSync(csv, `id,region\n${Array.from({ length: 30 }, (_, i) => `${i + 1},${i % 3 === 0 ? 'eu' : 'us'}`).join('\n')}\n`);
  const db = connector('duckdb', 'duckdb:');
  const r = await db.run(`select region, count(*) as n from read_csv_auto('${csv}') group by region order by region`, limits);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.rows, [{ region: 'eu', n: 10 }, { region: 'us', n: 20 }]);
  const capped = await db.run(`select * from read_csv_auto('${csv}')`, { maxRows: 5, timeoutMs: 5_000 });
  assert.ok(capped.ok && capped.rows.length === 5 && capped.truncated);
  const slow = await db.run('select count(*) from range(100000000000) a', { maxRows: 1, timeoutMs: 300 });
  assert.ok(!slow.ok && slow.kind === 'timeout', JSON.stringify(slow));
});
