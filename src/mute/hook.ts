import type { AlertRow, Tx } from '../storage/schema.ts';

/**
 * What the outbox asks before it queues a state (core/outbox.ts): for each destination, why it is muted now
 * (`deliveries.muted_by`), or undefined. Every path that enqueues (ingest, escalation steps, rerouting, manual actions,
 * resolve_after) goes through enqueueFor, so muting applies to all of them without each caller knowing about it.
 */
export interface MuteCheck {
  /** Undefined (no promise) when nothing can be muted: the common case on the hot path. */
  reasons(tx: Tx, row: AlertRow, destinations: readonly string[], now: number): Promise<readonly (string | undefined)[] | undefined> | undefined;
}

let installed: MuteCheck | undefined;

/**
 * The running gateway's check (app.ts installs it; one gateway per process, as `tocsin start` runs). Returns the
 * uninstall. Code that enqueues without a gateway (storage contract tests) gets no muting.
 */
export function installMuteCheck(check: MuteCheck): () => void {
  installed = check;
  return () => {
    if (installed === check) installed = undefined;
  };
}

export const currentMuteCheck = (): MuteCheck | undefined => installed;
