import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manualClock } from '../domain/clock.ts';
import { RateLimiter, TokenBucket } from './rate-limit.ts';

describe('TokenBucket', () => {
  it('starts full, empties, and refills continuously at limit/60 per second', () => {
    const bucket = new TokenBucket(120, 0);
    for (let i = 0; i < 120; i++) assert.equal(bucket.take(0), true);
    assert.equal(bucket.take(0), false);
    assert.equal(bucket.waitMs(0), 500); // 2 tokens/s
    assert.equal(bucket.take(499), false);
    assert.equal(bucket.take(500), true);
    assert.equal(bucket.available(60_000 + 500), 120, 'never above capacity');
  });
});

describe('RateLimiter', () => {
  it('answers 429 with integer Retry-After rounded up, X-RateLimit-* headers and a rate_limit body', () => {
    const clock = manualClock(1_700_000_000_000);
    const limiter = new RateLimiter(clock, 2); // one token per 30 s
    assert.equal(limiter.check('k', 'key'), null);
    limiter.take('k');
    limiter.take('k');
    clock.advance(100);
    const limited = limiter.check('k', 'key');
    assert.ok(limited);
    assert.equal(limited.status, 429);
    assert.equal(limited.type, 'too_many_requests');
    assert.equal(limited.headers?.['retry-after'], '30', '29.9 s rounds up to 30');
    assert.equal(limited.headers?.['x-ratelimit-remaining'], '0');
    assert.equal(limited.headers?.['x-ratelimit-limit'], '2, 2;window=60');
    assert.equal(limited.rateLimit?.limit, 2);
    assert.equal(limited.rateLimit?.remaining, 0);
    assert.match(limited.rateLimit?.retry_after ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Date.parse(limited.rateLimit?.retry_after ?? '') >= clock.now() + 29_900);
    assert.equal(limited.errors[0]?.code, 'too_many_requests');
  });

  it('a 429 takes nothing: after Retry-After seconds a request passes', () => {
    const clock = manualClock(0);
    const limiter = new RateLimiter(clock, 60);
    for (let i = 0; i < 60; i++) limiter.take('k');
    for (let i = 0; i < 5; i++) assert.ok(limiter.check('k', 'key'));
    clock.advance(1000);
    assert.equal(limiter.check('k', 'key'), null);
  });

  it('keeps one bucket per key and refills every bucket when the limit changes', () => {
    const clock = manualClock(0);
    const limiter = new RateLimiter(clock, 1);
    limiter.take('a');
    assert.ok(limiter.check('a', 'a'));
    assert.equal(limiter.check('b', 'b'), null);
    limiter.setLimit(5);
    assert.equal(limiter.check('a', 'a'), null);
    assert.equal(limiter.headers('a')['x-ratelimit-remaining'], '5');
  });

  it('reports used and reset in the headers', () => {
    const clock = manualClock(10_000);
    const limiter = new RateLimiter(clock, 60);
    limiter.take('k');
    const h = limiter.headers('k');
    assert.equal(h['x-ratelimit-used'], '1');
    assert.equal(h['x-ratelimit-remaining'], '59');
    assert.equal(h['x-ratelimit-reset'], '11', 'full again one second later');
  });
});
