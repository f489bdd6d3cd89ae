import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeStorageError, storageBusy, storageUnavailable } from './unavailable.ts';

const sqliteError = (code: string, message: string) => Object.assign(new Error(message), { code });

test('storage outages are told apart from bugs', () => {
  const cases: [unknown, boolean][] = [
    [sqliteError('SQLITE_BUSY', 'database is locked'), true],
    [sqliteError('SQLITE_FULL', 'database or disk is full'), true],
    [sqliteError('SQLITE_IOERR_WRITE', 'disk I/O error'), true],
    [sqliteError('SQLITE_CANTOPEN', 'unable to open database file'), true],
    [sqliteError('SQLITE_READONLY', 'attempt to write a readonly database'), true],
    [sqliteError('ENOSPC', 'no space left on device'), true],
    // SQLite rolled back by itself; the query builder's rollback then fails and hides the first error.
    [sqliteError('SQLITE_ERROR', 'cannot rollback - no transaction is active'), true],
    // The migration wraps the driver's error: the cause still says what it was.
    [new Error('database migration failed: database is locked', { cause: sqliteError('SQLITE_BUSY', 'database is locked') }), true],
    [sqliteError('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed: alerts.source, alerts.dedup_key'), false],
    [sqliteError('SQLITE_ERROR', 'no such table: x'), false],
    [new TypeError('undefined is not a function'), false],
    ['a string', false],
  ];
  for (const [e, want] of cases) assert.equal(storageUnavailable(e), want, String((e as Error).message ?? e));
});

test('the masked rollback error is described for people', () => {
  assert.match(describeStorageError(sqliteError('SQLITE_ERROR', 'cannot rollback - no transaction is active')), /disk \(or database\) is full/);
  assert.equal(describeStorageError(sqliteError('SQLITE_BUSY', 'database is locked')), 'database is locked');
});

test('a locked database (worth running the transaction again) is told apart from other outages', () => {
  const cases: [unknown, boolean][] = [
    [sqliteError('SQLITE_BUSY', 'database is locked'), true],
    [sqliteError('SQLITE_BUSY_SNAPSHOT', 'database is locked'), true],
    [new Error('database migration failed', { cause: sqliteError('SQLITE_BUSY', 'database is locked') }), true],
    [sqliteError('SQLITE_FULL', 'database or disk is full'), false],
    [sqliteError('SQLITE_READONLY', 'attempt to write a readonly database'), false],
    [sqliteError('SQLITE_IOERR_WRITE', 'disk I/O error'), false],
    [new TypeError('undefined is not a function'), false],
  ];
  for (const [e, want] of cases) assert.equal(storageBusy(e), want, (e as Error).message);
});
