import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { SendOutcome } from '../destinations/types.ts';
import { OverlongWaits, RetryAfterCap } from './overlong-waits.ts';

test('an episode of capped answers begins once and ends at the first answer sent after it began', () => {
  const w = new OverlongWaits();
  assert.equal(w.observe({ startedAt: 0, now: 10, capped: false }), undefined, 'nothing to end');
  assert.deepEqual(w.observe({ startedAt: 5, now: 100, capped: true }), { kind: 'began' });
  assert.equal(w.observe({ startedAt: 6, now: 101, capped: true }), undefined, 'same episode: not again');
  // A request sent before the episode began that comes back fine says nothing about the server's current mood.
  assert.equal(w.observe({ startedAt: 50, now: 102, capped: false }), undefined);
  assert.equal(w.active, true);
  assert.deepEqual(w.observe({ startedAt: 700, now: 800, capped: false }), { kind: 'ended', capped: 2, sinceMs: 700 });
  assert.equal(w.active, false);
  assert.deepEqual(w.observe({ startedAt: 900, now: 901, capped: true }), { kind: 'began' }, 'a new episode is logged again');
});

function capture() {
  const lines: any[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { lines, logger };
}

const limited = (retryAfterMs?: number): SendOutcome => ({ kind: 'retry', error: 'rate limited by incident.io', statusCode: 429, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });

test('the cap logs one warning per episode, whatever the number of capped answers, and one line when it ends', () => {
  const { lines, logger } = capture();
  const cap = new RetryAfterCap(600_000, logger);
  for (let i = 0; i < 50; i++) assert.deepEqual(cap.apply('oncall', limited(31_536_000_000), 1000 + i, 2000 + i), { askedMs: 31_536_000_000, waitMs: 600_000, capped: true });
  // Timeouts and network errors neither end nor start an episode.
  cap.apply('oncall', { kind: 'retry', error: 'timed out after 10000 ms' }, 3000, 13_000);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].level, 40);
  assert.equal(lines[0].destination, 'oncall');
  assert.equal(lines[0].retry_after_ms, 31_536_000_000);
  assert.match(lines[0].msg, /asked to wait 365 d \(Retry-After\); waiting 10 min instead \(delivery\.max_retry_after\)/);

  assert.deepEqual(cap.apply('oncall', limited(2000), 700_000, 700_010), { askedMs: 2000, waitMs: 2000, capped: false });
  assert.equal(lines.length, 2);
  assert.equal(lines[1].capped_answers, 50);
  assert.match(lines[1].msg, /no longer asks/);

  assert.equal(cap.apply('oncall', { kind: 'delivered', statusCode: 202 }, 800_000, 800_010), undefined);
  assert.equal(lines.length, 2, 'nothing more while nothing is capped');
  cap.apply('oncall', limited(Infinity), 900_000, 900_010);
  assert.equal(lines.length, 3);
  assert.equal(lines[2].retry_after_ms, null, 'Infinity is not JSON');
  assert.match(lines[2].msg, /asked to wait for ever/);
});
