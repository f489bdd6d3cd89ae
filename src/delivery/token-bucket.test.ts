import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../domain/clock.ts';
import { TokenBucket } from './token-bucket.ts';

test('burst, then the refill rate', () => {
  const clock = manualClock(0);
  const b = new TokenBucket(120, 10, clock);
  for (let i = 0; i < 10; i++) assert.deepEqual(b.take(), { ok: true });
  const denied = b.take();
  assert.equal(denied.ok, false);
  if (!denied.ok) assert.equal(denied.waitMs, 500);
  clock.advance(499);
  assert.equal(b.take().ok, false);
  clock.advance(1);
  assert.equal(b.take().ok, true);
});

test('never more than perMinute + burst in any minute', () => {
  const clock = manualClock(0);
  const b = new TokenBucket(120, 10, clock);
  let sent = 0;
  for (let t = 0; t < 60_000; t += 10) {
    clock.set(t);
    while (b.take().ok) sent++;
  }
  assert.ok(sent <= 130, `sent ${sent}`);
  assert.ok(sent >= 125, `sent ${sent}`);
});

test('a restart starts from the remembered level, and drain empties it', () => {
  const clock = manualClock(0);
  const b = new TokenBucket(60, 10, clock, 2);
  assert.equal(b.available(), 2);
  b.drain();
  assert.equal(b.take().ok, false);
});
