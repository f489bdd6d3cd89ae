import type { Logger } from 'pino';
import type { SendOutcome } from '../destinations/types.ts';
import type { OutageChange } from './outage.ts';
import { formatDuration } from './retry-policy.ts';

/**
 * What an outage change means to the people watching: one log line and the `tocsin_destination_down` gauge when the
 * destination goes down and when it answers again (never one per probe). Returns what the worker does: pause before
 * the next probe, or wake to send the queue.
 */
export function tellOutage(change: OutageChange, outcome: SendOutcome, destination: string, logger: Logger, observer: { destinationDown?(destination: string, down: boolean): void }): { pauseMs?: number; up?: boolean } {
  if (change.kind === 'down') {
    if (change.first) {
      observer.destinationDown?.(destination, true);
      logger.warn({ destination, error: outcome.kind === 'retry' ? outcome.error : undefined }, 'destination unreachable: one delivery at a time until it answers; the others wait in the queue');
    }
    return { pauseMs: change.pauseMs };
  }
  if (change.kind === 'up') {
    observer.destinationDown?.(destination, false);
    logger.warn({ destination, down_for: formatDuration(change.downForMs) }, 'destination answers again: sending the queue');
    return { up: true };
  }
  return {};
}
