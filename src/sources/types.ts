import type { z } from 'zod';
import type { AlertEvent, Severity } from '../domain/alert.ts';
import type { ParseOutcome } from '../domain/errors.ts';

/** What one request to `/ingest/<source>` says, once parsed. */
export interface ParsedBatch {
  events: AlertEvent[];
  /**
   * A *named* destination chosen by the caller for this request only (e.g. Versus' `?destination=`). The ingest
   * service checks it against the configured destinations; a raw id or URL is never accepted.
   */
  destination?: string;
  /**
   * What the sender should know that did not stop its alerts (an unknown field ignored, a fallback taken): returned
   * in the 202 answer as `warnings`. A well-formed payload from a real sender is never refused for such things.
   */
  warnings?: string[];
}

export interface ParseContext<O> {
  /** The source's name, i.e. the `sources.<name>` key: the first half of every alert identity. */
  source: string;
  /** The source's own options, already validated by `options`. */
  options: O;
  /** Query-string parameters of the request. */
  query: Readonly<Record<string, string | undefined>>;
  /**
   * The source's `severity_map` (its own words, lower-cased → tocsin severities), consulted before the shared
   * vocabulary: pass it to `severityFromWord`.
   */
  severityMap?: Readonly<Record<string, Severity>>;
  /** When the request arrived (epoch ms, the gateway's clock): parsers stay pure and read time only from here. */
  receivedAt?: number;
}

/** What a parser answers: an outcome, or a promise of one (jsonata 2, behind `webhook` and `versus`, is async-only). */
export type ParseResult = ParseOutcome<ParsedBatch> | Promise<ParseOutcome<ParsedBatch>>;

/**
 * One source type = one config `type`, one pure parser from its payload to alert events. Parsers do no I/O: they
 * get the parsed JSON body and return events or the problems that make the body unacceptable (a 400).
 *
 * `R` defaults to a synchronous outcome so existing parsers and their tests keep their exact types; a parser that
 * needs jsonata declares `Promise<ParseOutcome<ParsedBatch>>`. Callers holding an {@link AnySourceType} always
 * `await` the result (awaiting a plain value is harmless).
 */
export interface SourceType<O = unknown, R extends ParseResult = ParseOutcome<ParsedBatch>> {
  type: string;
  /** Validates the type-specific keys of `sources.<name>` (everything but `type`, `token`, `token_file`). */
  options: z.ZodType<O, z.ZodTypeDef, unknown>;
  /**
   * The label names this type's alerts can carry (besides tocsin's `source` and `severity`), when that set is fixed;
   * `prefix.*` stands for every key under `prefix.`. Left out when a sender can put any name in (its own labels or
   * metadata). check-config uses it to warn about a route matcher no configured source can satisfy.
   */
  labelKeys?: readonly string[];
  /**
   * Bytes one request may carry when `sources.<name>.body_limit` is not set (the top-level `body_limit` still applies
   * when it is larger). For senders whose real bodies outgrow 1 MiB: an Alertmanager group in a storm.
   */
  defaultBodyLimit?: number;
  parse(body: unknown, ctx: ParseContext<O>): R;
}

/** Any registered source type, sync or async: what the registry holds and the ingest path calls. */
export type AnySourceType = SourceType<any, ParseResult>;
