/**
 * Storage that is unavailable rather than wrong: locked by another process, disk full, I/O failing, read-only.
 * These clear by themselves (or by an operator freeing space), so callers wait and try again instead of failing
 * for good: ingest answers 503, the workers back off, start keeps retrying.
 */
const SQLITE_TRANSIENT = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|NOMEM|PROTOCOL)/;
const FS_TRANSIENT = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE']);
/** The network between tocsin and PostgreSQL. */
const NET_TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * PostgreSQL's SQLSTATEs for a server that is away or cannot take writes: connection exceptions (08), insufficient
 * resources (53: disk full, too many connections), shut down or starting (57P01–57P03), a read-only transaction (25006:
 * a standby after a failover), system errors (58). Plus the busy ones below.
 */
const PG_TRANSIENT = /^(08|53|57P0[1-3]|25006|58)/;
/**
 * Instances met on the same rows: a deadlock (40P01) or a serialization failure (40001) rolled one transaction back,
 * or a row lock was not free within lock_timeout (55P03). Like SQLite's BUSY, running the transaction again works.
 */
const PG_BUSY = /^(40001|40P01|55P03)$/;
/** pg's own words for a connection that is gone or never came (no SQLSTATE or errno on these). */
const PG_CLIENT_GONE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed)/;

/**
 * SQLite rolls a transaction back by itself on SQLITE_FULL and some I/O errors; the rollback the query builder then
 * issues fails with this message, which hides the first error.
 */
const ALREADY_ROLLED_BACK = 'cannot rollback - no transaction is active';

export function storageUnavailable(e: unknown): boolean {
  for (let cause = e, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && (SQLITE_TRANSIENT.test(code) || FS_TRANSIENT.has(code) || NET_TRANSIENT.has(code))) return true;
    if (typeof code === 'string' && isPgError(cause) && (PG_TRANSIENT.test(code) || PG_BUSY.test(code))) return true;
    if (cause.message === ALREADY_ROLLED_BACK || PG_CLIENT_GONE.test(cause.message)) return true;
    if (cause instanceof AggregateError && cause.errors.some(storageUnavailable)) return true;
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
    if (typeof code === 'string' && isPgError(cause) && PG_BUSY.test(code)) return true;
    // Two instances created the same alert at once: the second insert waited for the first commit and failed. Run
    // again, the transaction finds the alert and continues its episode.
    if (isPgError(cause) && code === '23505' && (cause as { constraint?: string }).constraint === 'alerts_identity') return true;
  }
  return false;
}

/** An error PostgreSQL sent (pg's DatabaseError carries the SQLSTATE in `code` and a `severity`). */
function isPgError(e: Error): boolean {
  return typeof (e as { severity?: unknown }).severity === 'string' && typeof (e as { code?: unknown }).code === 'string';
}

/** A line for people: what went wrong with storage, with SQLite's masked first error spelled out. */
export function describeStorageError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message === ALREADY_ROLLED_BACK ? 'SQLite rolled the transaction back: the disk (or database) is full, or failing' : message;
}
