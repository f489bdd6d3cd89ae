import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capRows, failingEvent, failingKey, fillTemplate, groupKey, isResultKey, QUERY_SOURCE, removedQueryEvents, resultEvents } from './alerts.ts';
import type { QuerySpec } from './config.ts';

const spec = (over: Partial<QuerySpec> = {}): QuerySpec => ({
  name: 'stale-orders',
  database: 'warehouse',
  sql: 'select 1',
  schedule: { everyMs: 60_000 },
  groupBy: [],
  severity: 'warning',
  title: undefined,
  description: undefined,
  maxRows: 100,
  timeoutMs: 30_000,
  alertAfterFailures: 3,
  ...over,
});

test('rows fire one alert of the internal source, keyed by the query name, labelled query=<name>', () => {
  const [e, ...rest] = resultEvents(spec({ title: 'Stale orders: {{stale}} in {{ region }}' }), [{ region: 'eu', stale: 4 }, { region: 'us', stale: 1 }], false, []);
  assert.equal(rest.length, 0);
  assert.equal(e!.source, QUERY_SOURCE);
  assert.equal(e!.dedupKey, 'stale-orders');
  assert.equal(e!.status, 'firing');
  assert.equal(e!.title, 'Stale orders: 4 in eu', 'the first row fills the title');
  assert.equal(e!.severity, 'warning');
  assert.deepEqual(e!.metadata, { query: 'stale-orders', database: 'warehouse', row_count: 2, data: [{ region: 'eu', stale: 4 }, { region: 'us', stale: 1 }] });
  assert.deepEqual(e!.labels, { query: 'stale-orders', database: 'warehouse' });
});

test('group_by: one alert per distinct value, with its own rows; a group gone from the result resolves', () => {
  const s = spec({ groupBy: ['region'], title: 'Stale orders in {{region}}' });
  const rows = [{ region: 'eu', id: 1 }, { region: 'us', id: 2 }, { region: 'eu', id: 3 }];
  const active = [{ dedup_key: 'stale-orders:region=apac', title: 'Stale orders in apac' }, { dedup_key: 'stale-orders:region=eu', title: 'x' }, { dedup_key: 'other:region=eu', title: 'y' }, { dedup_key: failingKey('stale-orders'), title: 'z' }];
  const events = resultEvents(s, rows, false, active);
  const byKey = new Map(events.map((e) => [e.dedupKey, e]));
  assert.deepEqual([...byKey.keys()].sort(), ['stale-orders:region=apac', 'stale-orders:region=eu', 'stale-orders:region=us']);
  assert.equal(byKey.get('stale-orders:region=eu')!.metadata.row_count, 2);
  assert.deepEqual(byKey.get('stale-orders:region=eu')!.metadata.group, { region: 'eu' });
  assert.equal(byKey.get('stale-orders:region=eu')!.labels!.region, 'eu', 'routes can match the group');
  assert.equal(byKey.get('stale-orders:region=us')!.title, 'Stale orders in us');
  const gone = byKey.get('stale-orders:region=apac')!;
  assert.deepEqual([gone.status, gone.title], ['resolved', 'Stale orders in apac'], 'resolved with the title it had');
});

test('no rows: the query\'s active result alerts resolve, its failure alert is left to the failure logic', () => {
  const events = resultEvents(spec(), [], false, [{ dedup_key: 'stale-orders', title: 't' }, { dedup_key: failingKey('stale-orders'), title: 'f' }]);
  assert.deepEqual(events.map((e) => [e.dedupKey, e.status]), [['stale-orders', 'resolved']]);
  assert.deepEqual(resultEvents(spec(), [], false, []), [], 'nothing active: nothing sent');
});

test('a truncated result resolves nothing: the groups cut off may still have rows', () => {
  const s = spec({ groupBy: ['region'] });
  const events = resultEvents(s, [{ region: 'eu' }], true, [{ dedup_key: 'stale-orders:region=us', title: 't' }]);
  assert.deepEqual(events.map((e) => [e.dedupKey, e.status, e.metadata.truncated]), [['stale-orders:region=eu', 'firing', true]]);
});

test('group keys are unambiguous and never the failure key', () => {
  assert.equal(groupKey('q', ['a', 'b'], { a: 'x,b=y', b: 'z' }), 'q:a=x%2Cb%3Dy,b=z');
  assert.notEqual(groupKey('q', ['a', 'b'], { a: 'x,b=y', b: 'z' }), groupKey('q', ['a', 'b'], { a: 'x', b: 'y,b=z' }));
  assert.equal(groupKey('q', ['a'], { a: null }), 'q:a=null');
  assert.equal(groupKey('q', ['a'], {}), 'q:a=null');
  assert.ok(!isResultKey('q', failingKey('q')));
  assert.ok(isResultKey('q', 'q') && isResultKey('q', 'q:a=1') && !isResultKey('q', 'qq:a=1'));
});

test('fillTemplate: unknown columns stay visible, objects as JSON', () => {
  assert.equal(fillTemplate('{{a}} {{nope}} {{o}}', { a: 1, o: { x: [1] } }), '1 {{nope}} {"x":[1]}');
  assert.equal(fillTemplate('{{a}}', undefined), '{{a}}');
  const [e] = resultEvents(spec({ title: '{{region}}', groupBy: ['region'] }), [{ region: '' }], false, []);
  assert.equal(e!.title, 'Query stale-orders returned rows (region=)', 'an empty title falls back');
});

test('rows are capped to stay under incident.io\'s 512 KB, marked truncated', () => {
  const big = { blob: 'x'.repeat(100 * 1024) };
  const { data, cut } = capRows([big, big, big, big, big, big]);
  assert.ok(cut);
  assert.equal(data.length, 3);
  const [e] = resultEvents(spec(), [big, big, big, big, big, big], false, []);
  assert.equal(e!.metadata.truncated, true);
  assert.equal(e!.metadata.row_count, 6, 'the count is of every row');
  assert.ok(Buffer.byteLength(JSON.stringify(e)) < 512 * 1024);
  assert.deepEqual(capRows([{ blob: 'x'.repeat(600 * 1024) }]), { data: [], cut: true }, 'one row too big for the payload');
});

test('the failure alert: firing after N failures with the last error, volatile counters, resolved later', () => {
  const f = failingEvent(spec(), 'firing', 3, 'relation "orders" does not exist');
  assert.deepEqual([f.source, f.dedupKey, f.status, f.severity], [QUERY_SOURCE, 'stale-orders:failing', 'firing', 'error']);
  assert.equal(f.metadata.last_error, 'relation "orders" does not exist');
  assert.deepEqual(f.volatile, ['consecutive_failures', 'last_error']);
  assert.equal(failingEvent(spec(), 'firing', 4, 'other').description, f.description, 'a further failure changes nothing sent');
  assert.equal(failingEvent(spec(), 'resolved', 0, undefined).status, 'resolved');
});

test('the open alerts of a query no longer configured are resolved, whatever their kind', () => {
  const active = [{ dedup_key: 'gone', title: 'a' }, { dedup_key: 'gone:region=eu', title: 'b' }, { dedup_key: 'gone:failing', title: 'c' }, { dedup_key: 'kept:region=eu', title: 'd' }];
  const events = removedQueryEvents(active, new Set(['kept']));
  assert.deepEqual(events.map((e) => [e.dedupKey, e.status, e.title]), [['gone', 'resolved', 'a'], ['gone:region=eu', 'resolved', 'b'], ['gone:failing', 'resolved', 'c']]);
});
