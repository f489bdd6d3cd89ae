/**
 * What the main thread and a logs worker (worker.ts) say to each other. Plain data only: it crosses threads by
 * structured clone. Nothing here is ever logged (samples and titles come from log lines, which may hold secrets).
 */
import type { FieldProblem } from '../../domain/errors.ts';
import type { Template } from '../rules/template.ts';

/** What a worker needs of a rule to read a body for it: its query runs in the rule set, the rest shapes the tally. */
export interface RuleSpec {
  groupBy: readonly { key: string; path: readonly string[] }[];
  count: number;
  sample: number;
  title: Template;
}

/** The rules of one logs source as one config load made them; `id` versions them (a reload makes a new id). */
export interface RuleSetSpec {
  id: number;
  queries: readonly string[];
  rules: readonly RuleSpec[];
}

/**
 * The matches of one alert (a rule, and a group value when it has group_by) in one request, in the order read.
 * A window needs, of its matches, only: how many, the title of the one that met its threshold (within the first
 * `count`), and the samples of those it still wants (within the first `count + sample`). So those are kept for the
 * first POSITIONS matches at most, never more, whatever the body holds.
 */
export interface GroupTally {
  group?: Record<string, string>;
  n: number;
  /** The title rendered from the k-th match, for k < min(n, count, POSITIONS). */
  titles: string[];
  /** The index (among the request's matching events) of the k-th match, same length as titles: the order of fires. */
  at: number[];
  /**
   * The k-th match as JSON text, for k < min(n, count + sample, POSITIONS); none when the rule keeps no sample. Text,
   * not objects: the main thread parses (and copies with sampleOf) only those a window still wants, which once an
   * alert is open and has its samples is none; text crosses threads as one copy. An NDJSON line of at most
   * MAX_LINE_SAMPLE characters is sent as it came; anything else as its sampleOf (at most MAX_SAMPLE_BYTES).
   */
  samples: string[];
}

export interface RuleTally {
  rule: number;
  groups: GroupTally[];
}

/** How a worker read one body: the events, and per rule what matched; or the 400 readLogBody gives. */
export type BodyTally =
  | { ok: true; events: number; skipped: number; matched: number; tallies: RuleTally[] }
  | { ok: false; problems: FieldProblem[] };

export type ToWorker =
  | { type: 'rules'; spec: RuleSetSpec }
  | { type: 'drop'; id: number }
  | { type: 'read'; seq: number; rules: number; body: Uint8Array | string };

export type FromWorker = { seq: number; tally: BodyTally } | { seq: number; failed: string };

/** Matches per alert per request whose title/position/sample are kept (see GroupTally). */
export const POSITIONS = 256;
/** A longer line is sent as its sampleOf, so a huge line that many rules match is not copied many times. */
export const MAX_LINE_SAMPLE = 4096;
