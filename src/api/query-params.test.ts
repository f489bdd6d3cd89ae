import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collapseRepeats, repeatWarning, shownParam } from './query-params.ts';

test('the same value repeated counts once; single ones and no query are left alone', () => {
  const q: Record<string, unknown> = { destination: ['a', 'a'], limit: '5' };
  assert.deepEqual(collapseRepeats(q), { kind: 'none' });
  assert.deepEqual(q, { destination: 'a', limit: '5' });
  assert.deepEqual(collapseRepeats({}), { kind: 'none' });
  assert.deepEqual(collapseRepeats(undefined), { kind: 'none' });
});

test('different values are named, and the first one is kept', () => {
  const q: Record<string, unknown> = { source: 'x', token: ['a', 'b'], destination: ['d1', 'd2', 'd1'] };
  assert.deepEqual(collapseRepeats(q), { kind: 'conflicting', names: ['token', 'destination'] });
  assert.deepEqual(q, { source: 'x', token: 'a', destination: 'd1' });
  const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: ['1', '2'] });
  assert.deepEqual(collapseRepeats(bare), { kind: 'conflicting', names: ['a'] });
});

test('a parameter name is shown short and printable, never its value', () => {
  assert.equal(shownParam('destination'), 'destination');
  assert.equal(shownParam('a\nb\u0000c'), 'a?b?c');
  assert.equal(shownParam('x'.repeat(100)), `${'x'.repeat(64)}…`);
  assert.doesNotMatch(repeatWarning('token'), /secret/);
});
