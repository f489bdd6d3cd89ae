import type { z } from 'zod';
import type { FieldProblem } from '../domain/errors.ts';

/** A 400 lists at most this many problems: enough to fix a payload, small enough to read. */
export const MAX_PROBLEMS = 20;

/** `alerts[2].fingerprint` from a prefix and a zod path. */
export function fieldPath(prefix: string, path: readonly (string | number)[]): string {
  const tail = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  return `${prefix}${tail}`.replace(/^\./, '') || '(body)';
}

/** zod issues as field problems, with "required" instead of zod's "Required" for a missing field. */
export function problemsOf(error: z.ZodError, prefix = ''): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: fieldPath(prefix, issue.path),
    message: issue.code === 'invalid_type' && issue.received === 'undefined' ? 'required' : issue.message,
  }));
}
