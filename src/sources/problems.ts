import type { z } from 'zod';
import type { FieldProblem } from '../domain/errors.ts';

/** A 400 lists at most this many problems: enough to fix a payload, small enough to read. */
export const MAX_PROBLEMS = 20;

/** A problem or warning quotes at most this much of what the sender sent: a 400 must not echo a megabyte back. */
const MAX_ECHO = 60;
const MAX_MESSAGE = 300;

/** A value from the payload, as a problem message may quote it: cut, and marked when it was. */
export function echo(value: unknown, max = MAX_ECHO): string {
  // Scalars as text; an object or array by its kind only (String() of a deep one recurses without bound).
  const s = value !== null && typeof value === 'object' ? (Array.isArray(value) ? '[array]' : '[object]') : String(value);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** `alerts[2].fingerprint` from a prefix and a zod path. */
export function fieldPath(prefix: string, path: readonly (string | number)[]): string {
  const tail = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${echo(p)}`)).join('');
  return `${prefix}${tail}`.replace(/^\./, '') || '(body)';
}

/** zod issues as field problems, with "required" instead of zod's "Required" for a missing field. */
export function problemsOf(error: z.ZodError, prefix = ''): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: fieldPath(prefix, issue.path),
    // zod quotes what it received (an enum's value): cut, like everything else a problem echoes.
    message: issue.code === 'invalid_type' && issue.received === 'undefined' ? 'required' : echo(issue.message, MAX_MESSAGE),
  }));
}
