import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentHash, externalDedupKey, stableStringify } from './identity.ts';

test('external key is namespaced by source and stable', () => {
  assert.equal(externalDedupKey('app', 'orders-5xx'), 'app:orders-5xx');
  assert.equal(externalDedupKey('app', 'x'), externalDedupKey('app', 'x'));
  assert.notEqual(externalDedupKey('a', 'b:c'), externalDedupKey('a:b', 'c').replace('a:b', 'x'));
});

test('long keys are hashed, stay under 255 and stay stable', () => {
  const long = 'k'.repeat(400);
  const key = externalDedupKey('dbt', long);
  assert.ok(key.length <= 255);
  assert.match(key, /^dbt:sha256:[0-9a-f]{64}$/);
  assert.equal(key, externalDedupKey('dbt', long));
  assert.notEqual(key, externalDedupKey('dbt', long + 'x'));
});

test('content hash ignores key order but not values', () => {
  assert.equal(stableStringify({ b: 1, a: [1, { d: 2, c: 3 }] }), '{"a":[1,{"c":3,"d":2}],"b":1}');
  assert.equal(contentHash({ a: 1, b: 2 }), contentHash({ b: 2, a: 1 }));
  assert.notEqual(contentHash({ a: 1 }), contentHash({ a: 2 }));
});

test('content hashes never change: alerts stored by earlier versions must not look updated on their next repeat', () => {
  const v = { t: 'Disk full on db-1 ✓', d: null, s: 'critical', m: { z: [1, 'two', null, { y: true, x: 1.5 }], a: { '"q"': 'line\nbreak' } }, u: null, l: { team: ['a', 'b'] } };
  assert.equal(stableStringify(v), '{"d":null,"l":{"team":["a","b"]},"m":{"a":{"\\"q\\"":"line\\nbreak"},"z":[1,"two",null,{"x":1.5,"y":true}]},"s":"critical","t":"Disk full on db-1 ✓","u":null}');
  // Computed by the implementation before the ingest hot-path work.
  assert.equal(contentHash({ ...v, m: { ...v.m, u: undefined as never } }), '5q4D3M9nVJxAJzN58xBTXB');
});
