import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, capRetryAfter, formatDuration, MAX_TIMER_MS, nextAttemptDelay, parseRetryAfter, planRetry, timerMs, type RetryInput } from './retry-policy.ts';

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
  ['31536000', 31_536_000_000],
  ['1' + '0'.repeat(400), Infinity],
  ['Sun, 22 Nov 2026 10:00:05 GMT', 5000],
  ['Sun, 22 Nov 2026 09:59:00 GMT', 0],
  ['Mon, 22 Nov 2027 10:00:00 GMT', 365 * 86_400_000],
  ['soon', undefined],
  ['-5', undefined],
  [undefined, undefined],
];
for (const [value, expected] of retryAfterCases) {
  test(`Retry-After ${JSON.stringify(value?.slice(0, 40))} → ${expected}`, () => assert.equal(parseRetryAfter(value, now), expected));
}

test('the server-given delay wins over a shorter backoff', () => {
  assert.equal(nextAttemptDelay(1, 2000, () => 0), 2000);
  assert.equal(nextAttemptDelay(1, undefined, () => 0), 500);
});

const TEN_MIN = 600_000;
const capCases: [number | undefined, ReturnType<typeof capRetryAfter>][] = [
  [undefined, undefined],
  [NaN, undefined],
  [2000, { askedMs: 2000, waitMs: 2000, capped: false }],
  [TEN_MIN, { askedMs: TEN_MIN, waitMs: TEN_MIN, capped: false }],
  [TEN_MIN + 1, { askedMs: TEN_MIN + 1, waitMs: TEN_MIN, capped: true }],
  [31_536_000_000, { askedMs: 31_536_000_000, waitMs: TEN_MIN, capped: true }],
  [Infinity, { askedMs: Infinity, waitMs: TEN_MIN, capped: true }],
];
for (const [asked, expected] of capCases) {
  test(`Retry-After of ${asked} ms, capped at 10 min → ${JSON.stringify(expected)}`, () => assert.deepEqual(capRetryAfter(asked, TEN_MIN), expected));
}

test('timer delays stay within what setTimeout takes', () => {
  assert.equal(timerMs(-5), 0);
  assert.equal(timerMs(NaN), 0);
  assert.equal(timerMs(1500), 1500);
  assert.equal(timerMs(31_536_000_000), MAX_TIMER_MS);
  assert.equal(timerMs(Infinity), MAX_TIMER_MS);
  assert.equal(MAX_TIMER_MS, 2_147_483_647);
});

const HOUR = 3_600_000;
const base: RetryInput = {
  now: now,
  createdAt: now - HOUR,
  attempts: 1,
  retryAfter: undefined,
  maxRetryAgeMs: 24 * HOUR,
  backoff: { baseMs: 1000, capMs: 300_000 },
  random: () => 0,
};

test('plan: a retry well within max_retry_age is scheduled after the backoff or the Retry-After', () => {
  assert.deepEqual(planRetry(base), { kind: 'retry', at: now + 500 });
  assert.deepEqual(planRetry({ ...base, retryAfter: capRetryAfter(31_536_000_000, TEN_MIN) }), { kind: 'retry', at: now + TEN_MIN });
});

test('plan: past max_retry_age, the delivery is given up with a hint in the configured unit', () => {
  const plan = planRetry({ ...base, createdAt: now - 25 * HOUR });
  assert.deepEqual(plan, { kind: 'give_up', hint: 'Gave up after retrying for 24 h (delivery.max_retry_age). Retry it once the destination is reachable.' });
  const short = planRetry({ ...base, createdAt: now - 60_000, maxRetryAgeMs: 30_000 });
  assert.match(short.kind === 'give_up' ? short.hint : '', /retrying for 30 s/);
});

test('plan: a Retry-After that would carry the next attempt past max_retry_age gives up now, naming what was asked', () => {
  const plan = planRetry({ ...base, maxRetryAgeMs: 5 * 60_000, createdAt: now - 1000, retryAfter: capRetryAfter(31_536_000_000, TEN_MIN) });
  assert.deepEqual(plan, {
    kind: 'give_up',
    hint: 'Gave up: incident.io asked to wait 365 d (Retry-After), past delivery.max_retry_age (5 min after it was queued). Retry it once the destination accepts again.',
  });
});

test('plan: a backoff that would carry the next attempt past max_retry_age gives up now', () => {
  const plan = planRetry({ ...base, attempts: 12, createdAt: now - (24 * HOUR - 60_000), random: () => 1 });
  assert.deepEqual(plan, {
    kind: 'give_up',
    hint: 'Gave up: the next retry would be in 5 min, past delivery.max_retry_age (24 h after it was queued). Retry it once the destination accepts again.',
  });
  // Exactly on the deadline is still allowed.
  assert.deepEqual(planRetry({ ...base, attempts: 12, createdAt: now - (24 * HOUR - 300_000), random: () => 1 }), { kind: 'retry', at: now + 300_000 });
});

test('durations read as people say them', () => {
  assert.deepEqual(
    [450, 30_000, 90_000, 600_000, 5_400_000, 86_400_000, 31_536_000_000, Infinity].map(formatDuration),
    ['450 ms', '30 s', '90 s', '10 min', '90 min', '24 h', '365 d', 'for ever'],
  );
});
