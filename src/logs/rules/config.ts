import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { SEVERITIES, type Severity } from '../../domain/alert.ts';
import { compileQuery, compileQueries, queryProblem, type EventMatcher } from './lql.ts';
import { parseTemplate, type Template } from './template.ts';

/** A rule as tocsin runs it: validated, its query compiled, its durations in ms. */
export interface Rule {
  name: string;
  query: string;
  /** `group_by` as written (`m.region`) and as paths under `m.` (`['region']`). */
  groupBy: readonly { key: string; path: readonly string[] }[];
  /** Matches needed within `windowMs` before the alert fires (1: any match). */
  count: number;
  /** The threshold's window, and how often a firing alert is updated at most. */
  windowMs: number;
  severity: Severity;
  title: Template;
  /** No match for this long → resolved (the alert event's own time to live). */
  quietMs: number;
  /** Matched events kept in `metadata.data` per update. */
  sample: number;
}

/** A logs source's options once loaded: its rules, and one matcher over all their queries (compiled once per load). */
export interface LogsOptions {
  rules: readonly Rule[];
  /** Indexes into `rules` of the rules an event matches. */
  match: EventMatcher;
  /** Worker threads that read this source's larger bodies (src/logs/pool/); 0: all on the main thread. */
  workers: number;
}

/**
 * `workers: auto`: one per core beyond the first (the main thread keeps HTTP and the database) from 4 cores up; none
 * on 2 or 3. Measured on 2 cores (npm run bench:logs): a worker halves the main thread's CPU per event but raises the
 * process's (parsing off the main thread costs more, and V8's collector threads compete for the same two cores), so
 * end-to-end events/s did not rise (0.23–0.36 × baseline with one worker, 0.31 without) and RSS grew 30–40 MB.
 */
export const autoWorkers = (cores = availableParallelism()): number => (cores >= 4 ? cores - 1 : 0);
export const MAX_WORKERS = 16;
const WORKERS_MESSAGE = `must be auto or a number of threads from 0 (none: bodies are read on the main thread) to ${MAX_WORKERS}`;

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;
/** Without a threshold, a firing alert is updated at most once a minute (incident.io takes 120 events a minute per source). */
export const DEFAULT_WINDOW_MS = 60_000;
/** No match for 10 minutes resolves a rule's alert, unless it says otherwise (and never sooner than two windows). */
export const DEFAULT_QUIET_MS = 10 * 60_000;
export const MAX_SAMPLE = 100;
export const MAX_RULES = 500;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const duration = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v * 1000;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration like 30s, 5m, 1h' });
    return z.NEVER;
  }
  return Number(m[1]) * UNITS[m[2]!]!;
});

const fieldPath = z.string().regex(/^m\.[^.\s]+(\.[^.\s]+)*$/, 'must be a field as m.path.to.field');

const rawRule = z
  .object({
    name: z.string().regex(NAME, 'rule names use letters, digits, - and _ (at most 63), starting with a letter or digit'),
    query: z.string().min(1, 'give the LQL query whose matching events this rule counts'),
    group_by: z.array(fieldPath).max(5).optional(),
    threshold: z
      .object({
        count: z.number().int().min(1).max(100_000).default(1),
        window: duration.refine((ms) => ms >= 1000, 'must be at least 1s').default('1m'),
      })
      .strict()
      .optional(),
    severity: z.enum(SEVERITIES, { errorMap: () => ({ message: `must be one of ${SEVERITIES.join(', ')}` }) }).default('error'),
    title: z.string().min(1).max(1000).optional(),
    resolve_after_quiet: duration.refine((ms) => ms >= 1000, 'must be at least 1s').optional(),
    sample: z.number().int().min(0).max(MAX_SAMPLE).default(10),
  })
  .strict();

/** `sources.<name>` of `type: logs`, beside type, token and body_limit. */
export const logsOptions = z
  .object({
    rules: z.array(rawRule).max(MAX_RULES).default([]),
    workers: z
      .union([z.literal('auto'), z.number().int(WORKERS_MESSAGE).min(0, WORKERS_MESSAGE).max(MAX_WORKERS, WORKERS_MESSAGE)], { errorMap: () => ({ message: WORKERS_MESSAGE }) })
      .default('auto'),
  })
  .strict()
  .transform((o, ctx): LogsOptions => {
    const rules: Rule[] = [];
    const seen = new Set<string>();
    o.rules.forEach((r, i) => {
      const at = (key: string) => ['rules', i, key];
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: at('name'), message: `rule "${r.name}" is defined twice: names identify alerts, give each rule its own` });
      seen.add(r.name);
      const compiled = compileQuery(r.query);
      if (!compiled.ok) ctx.addIssue({ code: 'custom', path: at('query'), message: queryProblem(r.name, compiled) });
      const windowMs = r.threshold?.window ?? DEFAULT_WINDOW_MS;
      const quietMs = r.resolve_after_quiet ?? Math.max(DEFAULT_QUIET_MS, 2 * windowMs);
      if (quietMs <= windowMs) {
        ctx.addIssue({ code: 'custom', path: at('resolve_after_quiet'), message: `must be longer than the window (${windowMs / 1000}s): a firing alert is updated once per window, so a shorter quiet would resolve it while matches still come` });
      }
      const title = parseTemplate(r.title ?? `${r.name}: matching log events`);
      if (!title.ok) ctx.addIssue({ code: 'custom', path: at('title'), message: title.message });
      if (!compiled.ok || !title.ok) return;
      rules.push({
        name: r.name,
        query: r.query,
        groupBy: (r.group_by ?? []).map((key) => ({ key, path: key.slice(2).split('.') })),
        count: r.threshold?.count ?? 1,
        windowMs,
        severity: r.severity,
        title: title.template,
        quietMs,
        sample: r.sample,
      });
    });
    if (rules.length !== o.rules.length) return z.NEVER;
    return { rules, match: compileQueries(rules.map((r) => r.query)), workers: o.workers === 'auto' ? autoWorkers() : o.workers };
  });
