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
