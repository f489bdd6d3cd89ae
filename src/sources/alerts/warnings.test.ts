import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warningCollector } from './warnings.ts';

test('one message for many alerts is one line naming the first three', () => {
  const w = warningCollector();
  for (let i = 0; i < 10; i++) w.add(`[${i}]`, 'unknown field(s) x: kept in metadata');
  w.add('', 'the array is empty');
  assert.deepEqual(w.list(), ['[0], [1], [2] and 7 more: unknown field(s) x: kept in metadata', 'the array is empty']);
});

test('at most 20 distinct warnings, then a count', () => {
  const w = warningCollector();
  for (let i = 0; i < 25; i++) w.add('', `warning ${i}`);
  const list = w.list();
  assert.equal(list.length, 21);
  assert.equal(list[20], 'and 5 more warnings');
});

test('no warnings, no lines', () => assert.deepEqual(warningCollector().list(), []));
