import { test } from 'node:test';
import assert from 'node:assert/strict';
import { repeatedParam, shownParam } from './query-params.ts';

test('a parameter given twice is found; single ones and no query are fine', () => {
  assert.equal(repeatedParam({ destination: ['a', 'a'] }), 'destination');
  assert.equal(repeatedParam({ source: 'x', token: ['a', 'b'] }), 'token');
  assert.equal(repeatedParam({ source: 'x', limit: '5' }), undefined);
  assert.equal(repeatedParam({}), undefined);
  assert.equal(repeatedParam(undefined), undefined);
  assert.equal(repeatedParam(Object.assign(Object.create(null), { a: ['1', '2'] })), 'a');
});

test('a parameter name is shown short and printable', () => {
  assert.equal(shownParam('destination'), 'destination');
  assert.equal(shownParam('a\nb\u0000c'), 'a?b?c');
  assert.equal(shownParam('x'.repeat(100)), `${'x'.repeat(64)}…`);
});
