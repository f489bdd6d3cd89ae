import { timerMs } from './retry-policy.ts';

/**
 * A worker's waits: `sleep` ends early on `wake()` (something was queued) or `abort()` (stop); `nap` only on
 * `abort()` — a storage backoff that a new alert must not cut short. Delays are clamped: past 2^31-1 ms setTimeout
 * fires at once (and warns), which turned a long wait into a busy loop.
 */
export class Waits {
  private wakeUp: (() => void) | undefined;
  private stopping = new AbortController();

  /** Waits can begin again (a worker started after a stop). */
  reset(): void {
    this.stopping = new AbortController();
  }

  wake(): void {
    this.wakeUp?.();
  }

  abort(): void {
    this.stopping.abort();
    this.wake();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, timerMs(ms));
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  nap(ms: number): Promise<void> {
    const signal = this.stopping.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, timerMs(ms));
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}
