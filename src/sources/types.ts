import type { z } from 'zod';
import type { AlertEvent } from '../domain/alert.ts';
import type { ParseOutcome } from '../domain/errors.ts';

/** What one request to `/ingest/<source>` says, once parsed. */
export interface ParsedBatch {
  events: AlertEvent[];
  /**
   * A *named* destination chosen by the caller for this request only (e.g. Versus' `?destination=`). The ingest
   * service checks it against the configured destinations; a raw id or URL is never accepted.
   */
  destination?: string;
}

export interface ParseContext<O> {
  /** The source's name, i.e. the `sources.<name>` key: the first half of every alert identity. */
  source: string;
  /** The source's own options, already validated by `options`. */
  options: O;
  /** Query-string parameters of the request. */
  query: Readonly<Record<string, string | undefined>>;
}

/**
 * One source type = one config `type`, one pure parser from its payload to alert events. Parsers do no I/O: they
 * get the parsed JSON body and return events or the problems that make the body unacceptable (a 400).
 */
export interface SourceType<O = unknown> {
  type: string;
  /** Validates the type-specific keys of `sources.<name>` (everything but `type`, `token`, `token_file`). */
  options: z.ZodType<O, z.ZodTypeDef, unknown>;
  parse(body: unknown, ctx: ParseContext<O>): ParseOutcome<ParsedBatch>;
}
