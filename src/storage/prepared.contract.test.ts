/**
 * prepared.ts and insert-buffer.ts on SQLite and PostgreSQL alike: statements compiled once and bound many times, an
 * `in` list padded to a power of two, multi-row inserts of the widest table in every chunk size, held rows in order.
 */
import assert from 'node:assert/strict';
import { alertRow, contract } from '../../test/storage-dialects.ts';
import { InsertBuffer } from './insert-buffer.ts';
import { insertRows, listShape, MAX_ROWS, padList, template } from './prepared.ts';

const transition = (alert: string, n: number) => ({ alert_id: alert, episode: 1, kind: 'created', from_state: null, to_state: 'firing', actor: `a${n}`, content: '{}', at: n });

contract('a template compiles once per database, its transactions included, whatever order the values go in', async ({ db }) => {
  let builds = 0;
  const byActor = template<{ actor: string; alert: string }, { actor: string; at: number }>('contract t', (d, p) => {
    builds++;
    // The placeholders appear in the SQL in the other order than in the arguments.
    return d.selectFrom('transitions').select(['actor', 'at']).where('alert_id', '=', p('alert')).where('actor', '=', p('actor'));
  });
  await insertRows(db, 'transitions', [transition('x', 1), transition('y', 2_000_000_000_000)]);
  for (let i = 0; i < 3; i++) assert.deepEqual(await db.transaction().execute((tx) => byActor.run(tx, { actor: 'a2000000000000', alert: 'y' })), [{ actor: 'a2000000000000', at: 2_000_000_000_000 }]);
  assert.deepEqual(await byActor.run(db, { actor: 'a1', alert: 'y' }), []);
  assert.equal(builds, 1);
});

contract('an `in` list padded to a power of two by repeating its last item finds the same rows', async ({ db }) => {
  await insertRows(db, 'transitions', [1, 2, 3, 4, 5].map((n) => transition(`k${n}`, n)));
  const byAlert = template<{ ids: string[] }, { alert_id: string }>('contract list', (d, p, n) => d.selectFrom('transitions').select('alert_id').where('alert_id', 'in', p.list('ids', n)).orderBy('id'));
  for (const ids of [['k3'], ['k1', 'k3', 'k5'], ['k5', 'k4', 'k3', 'k2', 'k1']]) {
    const n = listShape(ids.length, 512);
    assert.deepEqual(
      (await byAlert.run(db, { ids: padList(ids, n) }, n)).map((r) => r.alert_id),
      [...ids].sort(),
    );
  }
});

contract('insertRows writes alerts (the widest table) in every chunk size, in order, read back unchanged', async ({ db }) => {
  for (const count of [1, 3, MAX_ROWS - 1, MAX_ROWS, MAX_ROWS + 1, 200]) {
    const rows = Array.from({ length: count }, (_, i) =>
      alertRow(`c${count}-${String(i).padStart(3, '0')}`, {
        source: `s${count}`,
        description: i % 2 ? null : `d${i}`,
        resolved_at: i % 3 ? null : 1_764_000_000_000 + i,
        event_count: i,
      }),
    );
    await insertRows(db, 'alerts', rows);
    assert.deepEqual(await db.selectFrom('alerts').selectAll().where('source', '=', `s${count}`).orderBy('id').execute(), rows);
  }
  // Ids ascend in the order rows were given, as one insert per row would make them.
  const ts = Array.from({ length: 129 }, (_, i) => transition('order', i));
  await insertRows(db, 'transitions', ts);
  const stored = await db.selectFrom('transitions').select(['id', 'at']).where('alert_id', '=', 'order').orderBy('id').execute();
  assert.deepEqual(
    stored.map((r) => r.at),
    ts.map((t) => t.at),
  );
  assert.ok(stored.every((r) => typeof r.id === 'number'));
  await insertRows(db, 'transitions', []);
});

contract('InsertBuffer: held rows are written before a statement on their table, by a full statement, and by flush, in order', async ({ db }) => {
  await db.transaction().execute(async (tx) => {
    const held = new InsertBuffer(tx);
    const actors = async (alert = 'h') => (await tx.selectFrom('transitions').select('actor').where('alert_id', '=', alert).orderBy('id').execute()).map((r) => r.actor);
    await held.add('transitions', transition('h', 1));
    await held.add('alerts', alertRow('A1'));
    await held.add('transitions', { ...transition('h', 2), from_state: 'firing' });
    assert.deepEqual(await actors(), [], 'held, not written');
    await held.before('deliveries'); // another table: nothing written
    assert.deepEqual(await actors(), []);
    await held.before('transitions');
    assert.deepEqual(await actors(), ['a1', 'a2']);
    assert.equal(await tx.selectFrom('alerts').select('id').executeTakeFirst(), undefined, 'alerts still held');
    // A row with other columns starts a statement of its own, still in order.
    await held.add('transitions', transition('h', 3));
    const { from_state: _none, ...fewer } = transition('h', 4);
    await held.add('transitions', fewer);
    await held.add('transitions', transition('h', 5));
    await held.flush();
    assert.deepEqual(await actors(), ['a1', 'a2', 'a3', 'a4', 'a5']);
    assert.deepEqual(await tx.selectFrom('alerts').selectAll().execute(), [alertRow('A1')]);
    for (let i = 0; i < MAX_ROWS; i++) await held.add('transitions', transition('full', i));
    assert.equal((await actors('full')).length, MAX_ROWS, 'a full statement is written at once');
  });
  assert.equal((await db.selectFrom('transitions').selectAll().execute()).length, 5 + MAX_ROWS);
});
