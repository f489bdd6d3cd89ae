import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InsertBuffer } from './insert-buffer.ts';
import { insertRows, listShape, padList, template } from './prepared.ts';
import { openSqlite } from './sqlite.ts';

const open = () => openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'tocsin-prepared-')), 't.db') });

const transition = (alert: string, n: number) => ({ alert_id: alert, episode: 1, kind: 'created', from_state: null, to_state: 'firing', actor: `a${n}`, content: '{}', at: n });

test('a template compiles once per database: its transactions reuse it, whatever order Kysely puts parameters in', async () => {
  const db = await open();
  let builds = 0;
  const byActor = template<{ actor: string; alert: string }, { actor: string }>('t', (d, p) => {
    builds++;
    // The placeholders appear in the SQL in the other order than in the arguments.
    return d.selectFrom('transitions').select('actor').where('alert_id', '=', p('alert')).where('actor', '=', p('actor'));
  });
  await insertRows(db, 'transitions', [transition('x', 1), transition('y', 2)]);
  for (let i = 0; i < 3; i++) {
    const rows = await db.transaction().execute((tx) => byActor.run(tx, { actor: 'a2', alert: 'y' }));
    assert.deepEqual(rows, [{ actor: 'a2' }]);
  }
  assert.deepEqual(await byActor.run(db, { actor: 'a1', alert: 'y' }), []);
  assert.equal(builds, 1);
  await db.destroy();
});

test('list placeholders: a list padded to a power of two by repeating its last item finds the same rows', async () => {
  const db = await open();
  await insertRows(db, 'transitions', [1, 2, 3, 4, 5].map((n) => transition(`k${n}`, n)));
  const byAlert = template<{ ids: string[] }, { alert_id: string }>('list', (d, p, n) => d.selectFrom('transitions').select('alert_id').where('alert_id', 'in', p.list('ids', n)).orderBy('id'));
  const ids = ['k1', 'k3', 'k5'];
  const n = listShape(ids.length, 512);
  assert.equal(n, 4);
  assert.deepEqual(padList(ids, n), ['k1', 'k3', 'k5', 'k5']);
  assert.deepEqual((await byAlert.run(db, { ids: padList(ids, n) }, n)).map((r) => r.alert_id), ids);
  assert.equal(listShape(600, 512), 512);
  await db.destroy();
});

test('insertRows writes every row in order (ids ascend as one by one would), in chunks of any size', async () => {
  const db = await open();
  for (const count of [1, 3, 64, 100, 129]) {
    const rows = Array.from({ length: count }, (_, i) => transition(`c${count}`, i));
    await insertRows(db, 'transitions', rows);
    const stored = await db.selectFrom('transitions').select(['actor', 'at']).where('alert_id', '=', `c${count}`).orderBy('id').execute();
    assert.deepEqual(stored, rows.map((r) => ({ actor: r.actor, at: r.at })));
  }
  await db.destroy();
});

test('InsertBuffer: held rows are written before a statement reads their table, and by flush', async () => {
  const db = await open();
  await db.transaction().execute(async (tx) => {
    const held = new InsertBuffer(tx);
    await held.add('transitions', transition('h', 1));
    await held.add('transitions', { ...transition('h', 2), from_state: 'firing' });
    assert.equal((await tx.selectFrom('transitions').selectAll().execute()).length, 0, 'held, not written');
    await held.before('deliveries'); // another table: nothing written
    assert.equal((await tx.selectFrom('transitions').selectAll().execute()).length, 0);
    await held.before('transitions');
    assert.deepEqual((await tx.selectFrom('transitions').select('actor').orderBy('id').execute()).map((r) => r.actor), ['a1', 'a2']);
    await held.add('transitions', transition('h', 3));
    // A row with other columns starts a statement of its own, still in order.
    const { from_state: _none, ...fewer } = transition('h', 4);
    await held.add('transitions', fewer);
    await held.add('transitions', transition('h', 5));
    await held.flush();
    assert.deepEqual((await tx.selectFrom('transitions').select(['actor', 'from_state']).where('alert_id', '=', 'h').orderBy('id').execute()).map((r) => r.actor), ['a1', 'a2', 'a3', 'a4', 'a5']);
    // A full statement's worth is written at once.
    for (let i = 0; i < 64; i++) await held.add('transitions', transition('full', i));
    assert.equal((await tx.selectFrom('transitions').selectAll().where('alert_id', '=', 'full').execute()).length, 64);
  });
  assert.equal((await db.selectFrom('transitions').selectAll().execute()).length, 69);
  await db.destroy();
});
