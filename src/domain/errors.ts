/**
 * Expected failures at the edges (bad input, bad config) as values. HTTP mapping lives in api/errors.ts.
 */

export type InputErrorCode =
  | 'invalid_body'
  | 'invalid_field'
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'unauthorized'
  | 'not_found'
  | 'conflict';

export interface FieldProblem {
  /** A JSON path such as `[3].metadata` or `alerts[0].fingerprint`. */
  field: string;
  message: string;
}

export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

export const ok = <T>(value: T): ParseOutcome<T> => ({ ok: true, value });
export const invalid = <T = never>(field: string, message: string): ParseOutcome<T> => ({
  ok: false,
  problems: [{ field, message }],
});
