import type { Logger } from 'pino';
import { backoffMs, STORAGE_BACKOFF } from './retry-policy.ts';

export interface PersistInput<T> {
  /** For the log: `recording the delivery outcome`. */
  what: string;
  fields: object;
  work: () => Promise<T>;
  logger: Logger;
  random: () => number;
  /** False once the worker is stopping: then a failure is left for the restart to redo. */
  running: () => boolean;
  nap: (ms: number) => Promise<unknown>;
}

/**
 * Runs `work` until it succeeds, backing off while storage fails. Gives up only when the worker is stopping;
 * whatever was not written then is redone from the database after the restart.
 */
export async function persistUntilStored<T>(i: PersistInput<T>): Promise<{ ok: true; value: T } | { ok: false }> {
  for (let failures = 1; ; failures++) {
    try {
      const value = await i.work();
      if (failures > 1) i.logger.info({ ...i.fields, failures: failures - 1 }, `${i.what}: storage is back`);
      return { ok: true, value };
    } catch (e) {
      if (!i.running()) {
        i.logger.warn({ err: e, ...i.fields }, `${i.what} failed while stopping; the delivery stays in flight and is sent again (same key) after the restart`);
        return { ok: false };
      }
      const retryInMs = backoffMs(failures, i.random, STORAGE_BACKOFF);
      i.logger.error({ err: e, ...i.fields, failures, retry_in_ms: retryInMs }, `${i.what} failed; retrying`);
      await i.nap(retryInMs);
    }
  }
}
