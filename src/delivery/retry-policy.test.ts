import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, nextAttemptDelay, parseRetryAfter } from './retry-policy.ts';

test('backoff doubles per attempt, within jitter bounds, capped', () => {
  for (const [attempt, lo, hi] of [
    [1, 500, 1000],
    [2, 1000, 2000],
    [3, 2000, 4000],
    [20, 150_000, 300_000],
  ] as const) {
    assert.equal(backoffMs(attempt, () => 0), lo);
    assert.equal(backoffMs(attempt, () => 1), hi);
  }
});

const now = Date.parse('2026-11-22T10:00:00Z');
const retryAfterCases: [string | undefined, number | undefined][] = [
  ['2', 2000],
  [' 30 ', 30_000],
  ['1.5', 1500],
  ['Sun, 22 Nov 2026 10:00:05 GMT', 5000],
  ['Sun, 22 Nov 2026 09:59:00 GMT', 0],
  ['soon', undefined],
  [undefined, undefined],
];
for (const [value, expected] of retryAfterCases) {
  test(`Retry-After ${JSON.stringify(value)} → ${expected}`, () => assert.equal(parseRetryAfter(value, now), expected));
}

test('the server-given delay wins over a shorter backoff', () => {
  assert.equal(nextAttemptDelay(1, 2000, () => 0), 2000);
  assert.equal(nextAttemptDelay(1, undefined, () => 0), 500);
});
