/**
 * Graceful stop (SIGTERM, SIGINT): the gateway stops taking requests, lets those in flight and the sends in flight
 * finish, then exits — but never waits longer than `shutdown_timeout` (default 10 s). A send still unanswered then stays
 * `in_flight` in the database and is sent again after the restart with the same key, so cutting it short loses
 * nothing; waiting for ever would let a hung incident.io hold a deploy (and systemd would SIGKILL us anyway).
 */

export type CloseOutcome =
  | { kind: 'closed'; ms: number }
  /** The bound passed first: what was still in flight is resent after the restart. */
  | { kind: 'timed_out'; ms: number }
  | { kind: 'failed'; ms: number; error: unknown };

/** Runs `close` and answers when it ends or when `boundMs` has passed, whichever is first. */
export async function closeWithin(close: () => Promise<void>, boundMs: number): Promise<CloseOutcome> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CloseOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timed_out', ms: ms() }), boundMs);
  });
  const done = close().then(
    (): CloseOutcome => ({ kind: 'closed', ms: ms() }),
    (error: unknown): CloseOutcome => ({ kind: 'failed', ms: ms(), error }),
  );
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}
