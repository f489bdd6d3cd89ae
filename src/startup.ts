import type { Logger } from 'pino';
import { ApiError } from './api/errors.ts';
import type { Gateway } from './api/gateway.ts';
import { backoffMs, STORAGE_BACKOFF } from './delivery/retry-policy.ts';
import { storageUnavailable } from './storage/unavailable.ts';

/**
 * Start-up that outlives broken storage. A database that is locked, a full disk or a read-only mount clears by
 * itself or by an operator's hand; exiting would only make a supervisor restart tocsin in a loop. So the HTTP server listens first
 * and answers for a gateway that is not there yet: /healthz 200 (the process is alive), /readyz 503, ingest and the
 * management API 503 with Retry-After, which senders retry. Storage steps are retried with backoff, logged each time.
 */
export class Startup {
  private live: Gateway | undefined;
  private waitingFor = 'storage to open';
  /** The HTTP layer's gateway: the real one once `serve` is called. */
  readonly gateway: Gateway;

  constructor(
    early: Pick<Gateway, 'config' | 'metrics'>,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {
    const live = (): Gateway => {
      if (this.live) return this.live;
      throw new ApiError(503, 'unavailable', `tocsin is starting: waiting for ${this.waitingFor}; retry shortly`, undefined, { 'retry-after': '5' });
    };
    const ready: Gateway['ready'] = async () => (this.live ? this.live.ready() : { ok: false, reason: `starting: waiting for ${this.waitingFor}` });
    // Forwards every other member, so the gateway can grow without this list following it.
    this.gateway = new Proxy({} as Gateway, {
      get: (_target, key: string | symbol) => {
        if (typeof key === 'symbol') return undefined;
        if (key === 'config' || key === 'metrics') return early[key];
        if (key === 'ready') return ready;
        const g = live();
        const member = g[key as keyof Gateway];
        return typeof member === 'function' ? member.bind(g) : member;
      },
    });
  }

  serve(gateway: Gateway): void {
    this.live = gateway;
  }

  /** Runs a storage step until it works. Anything that is not a storage outage (a bug, a bad config) is thrown. */
  async untilStored<T>(what: string, work: () => Promise<T>): Promise<T> {
    for (let failures = 1; ; failures++) {
      try {
        const value = await work();
        if (failures > 1) this.logger.info({ step: what, failures: failures - 1 }, 'storage is available again; starting');
        return value;
      } catch (e) {
        if (!storageUnavailable(e)) throw e;
        const retryInMs = backoffMs(failures, this.random, STORAGE_BACKOFF);
        this.waitingFor = `storage (${what}: ${(e as Error).message})`;
        this.logger.error({ err: e, step: what, failures, retry_in_ms: retryInMs }, 'storage unavailable at start (locked, full, read-only or failing disk): retrying; /readyz and ingest answer 503 meanwhile');
        await new Promise((r) => setTimeout(r, retryInMs));
      }
    }
  }
}
