import type { Clock } from '../domain/clock.ts';

/**
 * Client-side rate limit per destination, so tocsin stays under incident.io's limits instead of relying on 429s.
 * Pure apart from the injected clock.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;

  constructor(
    readonly perMinute: number,
    readonly burst: number,
    private readonly clock: Clock,
    initialTokens = burst,
  ) {
    this.perMs = perMinute / 60_000;
    this.tokens = Math.min(burst, Math.max(0, initialTokens));
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
  }

  /** Takes a token if one is there; otherwise returns how many ms until one will be. */
  take(): { ok: true } | { ok: false; waitMs: number } {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, waitMs: Math.ceil((1 - this.tokens) / this.perMs) };
  }

  /** How long until a token is there, without taking it. */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs);
  }

  /** The server said stop (429): spend everything so the next send waits for a refill too. */
  drain(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
  }

  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }
}
