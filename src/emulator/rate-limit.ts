/**
 * incident.io's limits are token buckets that refill continuously (capacity = the per-minute limit,
 * refilling limit/60 per second), not fixed windows. One bucket per alert source and per API key.
 *
 * Counting rule (emulator choice): a request takes a token only when it is accepted. A 429 takes
 * nothing (the bucket is already empty), and requests rejected for auth, validation or a missing
 * resource take nothing either, so a client's own mistakes never eat into its allowance.
 */
import type { Clock } from '../domain/clock.ts';
import type { Headers, RateLimitInfo } from './errors.ts';
import { rejection, type Rejection } from './errors.ts';

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  private get perMs(): number {
    return this.capacity / 60_000;
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.updatedAt) * this.perMs);
      this.updatedAt = now;
    }
  }

  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** Milliseconds until one whole token is available; 0 when one is available now. */
  waitMs(now: number): number {
    const tokens = this.available(now);
    return tokens >= 1 ? 0 : (1 - tokens) / this.perMs;
  }

  take(now: number): boolean {
    if (this.available(now) < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until the bucket is full again. */
  fullInMs(now: number): number {
    return (this.capacity - this.available(now)) / this.perMs;
  }
}

export class RateLimiter {
  private buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly clock: Clock,
    private perMinute: number,
  ) {}

  get limit(): number {
    return this.perMinute;
  }

  private bucket(key: string): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.perMinute, this.clock.now());
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** A 429 rejection when `key` has no token left, otherwise null. Takes nothing. */
  check(key: string, name: string): Rejection | null {
    const now = this.clock.now();
    const wait = this.bucket(key).waitMs(now);
    if (wait === 0) return null;
    // Retry-After is whole seconds (incident.io sends a duration, not a date), rounded up so that a
    // client waiting exactly that long always finds a token.
    const seconds = Math.max(1, Math.ceil(wait / 1000));
    const info: RateLimitInfo = {
      name,
      limit: this.perMinute,
      remaining: 0,
      retry_after: new Date(Math.ceil((now + seconds * 1000) / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    };
    return rejection(
      429,
      'too_many_requests',
      [
        {
          code: 'too_many_requests',
          message: `Too many requests hit the API too quickly (limit ${this.perMinute}/minute for '${name}'). We recommend an exponential backoff of your requests.`,
        },
      ],
      { rateLimit: info, headers: { ...this.headers(key), 'retry-after': String(seconds) } },
    );
  }

  /** Call only after `check` returned null in the same tick. */
  take(key: string): void {
    if (!this.bucket(key).take(this.clock.now())) throw new Error(`rate limiter: no token for ${key} after a passing check`);
  }

  headers(key: string): Headers {
    const now = this.clock.now();
    const bucket = this.bucket(key);
    const remaining = Math.floor(bucket.available(now));
    return {
      'x-ratelimit-limit': `${this.perMinute}, ${this.perMinute};window=60`,
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-used': String(this.perMinute - remaining),
      'x-ratelimit-reset': String(Math.ceil((now + bucket.fullInMs(now)) / 1000)),
    };
  }

  /** A new limit starts every bucket full at the new capacity. */
  setLimit(perMinute: number): void {
    this.perMinute = perMinute;
    this.buckets.clear();
  }

  reset(): void {
    this.buckets.clear();
  }
}
