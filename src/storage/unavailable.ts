/**
 * Storage that is unavailable rather than wrong: locked by another process, disk full, I/O failing, read-only.
 * These clear by themselves (or by an operator freeing space), so callers wait and try again instead of failing
 * for good: ingest answers 503, the workers back off, start keeps retrying.
 */
const SQLITE_TRANSIENT = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|NOMEM|PROTOCOL)/;
const FS_TRANSIENT = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE']);

/**
 * SQLite rolls a transaction back by itself on SQLITE_FULL and some I/O errors; the rollback the query builder then
 * issues fails with this message, which hides the first error.
 */
const ALREADY_ROLLED_BACK = 'cannot rollback - no transaction is active';

export function storageUnavailable(e: unknown): boolean {
  for (let cause = e, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && (SQLITE_TRANSIENT.test(code) || FS_TRANSIENT.has(code))) return true;
    if (cause.message === ALREADY_ROLLED_BACK) return true;
  }
  return false;
}

/**
 * Another connection holds the write lock (SQLITE_BUSY and its extended codes, BUSY_SNAPSHOT included). Unlike a
 * full disk this clears in moments, and a transaction that met it did nothing: it is worth running again, after a
 * pause that lets the event loop serve everything else (group-commit.ts).
 */
export function storageBusy(e: unknown): boolean {
  for (let cause = e, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return true;
  }
  return false;
}

/** A line for people: what went wrong with storage, with SQLite's masked first error spelled out. */
export function describeStorageError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message === ALREADY_ROLLED_BACK ? 'SQLite rolled the transaction back: the disk (or database) is full, or failing' : message;
}
