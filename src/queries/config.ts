/**
 * `databases:` and `queries:` in the config file: the shape (zod, handed the config's own duration parser so every
 * duration reads the same) and the checks that span both keys (a query's database exists, its cron and time zone are
 * valid). Every problem names its key path.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { SEVERITIES, type Severity } from '../domain/alert.ts';
import type { ConfigProblem } from '../config/expand.ts';
import { databaseKind, type DatabaseKind } from './databases/url.ts';
import type { Schedule } from './schedule.ts';

/** Query names end up in dedup keys (`<name>:…`) and URLs: the same alphabet as source names, no `:`. */
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

export interface DatabaseConfig {
  name: string;
  kind: DatabaseKind;
  /** A secret (it may hold a password): never logged, shown or stored; `maskUrl` gives the shown form. */
  url: string;
}

export interface QuerySpec {
  name: string;
  database: string;
  sql: string;
  schedule: Schedule;
  groupBy: string[];
  severity: Severity;
  /** `{{column}}` is replaced by the first row's (of the group's) value. */
  title: string | undefined;
  description: string | undefined;
  maxRows: number;
  timeoutMs: number;
  /** Consecutive failed runs before the query's own `<name>:failing` alert fires. */
  alertAfterFailures: number;
}

export interface QueriesConfig {
  databases: Map<string, DatabaseConfig>;
  queries: QuerySpec[];
}

type Duration = z.ZodType<number, z.ZodTypeDef, unknown>;

/** The keys to spread into the config schema: `...queryConfigKeys(duration)`. */
export function queryConfigKeys(duration: Duration) {
  const database = z.object({ url: z.string({ required_error: 'give the database url (postgres://…, sqlite:…, duckdb:…), e.g. url: ${WAREHOUSE_URL}' }).min(1) }).strict();
  const query = z
    .object({
      name: z.string().regex(NAME, 'query names use letters, digits, - and _ (at most 63), starting with a letter or digit'),
      database: z.string().min(1),
      sql: z.string().min(1),
      every: duration.refine((ms) => ms >= 1000, 'must be at least 1s').optional(),
      cron: z.string().min(1).optional(),
      timezone: z.string().min(1).optional(),
      group_by: z.array(z.string().min(1)).max(10).default([]),
      severity: z.enum(SEVERITIES, { errorMap: () => ({ message: `must be one of ${SEVERITIES.join(', ')}` }) }).default('warning'),
      title: z.string().min(1).optional(),
      description: z.string().min(1).optional(),
      max_rows: z.number().int().min(1).max(10_000).default(100),
      timeout: duration.refine((ms) => ms >= 100 && ms <= 600_000, 'must be between 100ms and 10m').default('30s'),
      alert_after_failures: z.number().int().min(1).max(1000).default(3),
    })
    .strict()
    .superRefine((q, ctx) => {
      if ((q.every === undefined) === (q.cron === undefined)) ctx.addIssue({ code: 'custom', path: ['every'], message: 'give the schedule as every (e.g. 5m) or cron (e.g. "*/5 * * * *"), one of them' });
      if (q.timezone !== undefined && q.cron === undefined) ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'timezone applies to cron only (every counts from the epoch)' });
    });
  return {
    databases: z.record(z.string().regex(NAME, 'database names use letters, digits, - and _'), database).default({}),
    queries: z.array(query).default([]),
  };
}

type RawKeys = ReturnType<typeof queryConfigKeys>;
export type RawDatabases = z.infer<RawKeys['databases']>;
export type RawQueries = z.infer<RawKeys['queries']>;

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The checks across keys; problems are pushed, what is valid is returned. */
export function compileQueries(rawDatabases: RawDatabases, rawQueries: RawQueries, problems: ConfigProblem[]): QueriesConfig {
  const databases = new Map<string, DatabaseConfig>();
  for (const [name, d] of Object.entries(rawDatabases)) {
    const kind = databaseKind(d.url);
    // The message never repeats the url: it may hold a password.
    if (!kind) problems.push({ path: `databases.${name}.url`, message: 'must start with postgres:// (or postgresql://), sqlite: or duckdb:' });
    else databases.set(name, { name, kind, url: d.url });
  }
  const seen = new Set<string>();
  const queries: QuerySpec[] = [];
  rawQueries.forEach((q, i) => {
    const at = `queries[${i}]`;
    if (seen.has(q.name)) problems.push({ path: `${at}.name`, message: `another query is named "${q.name}": names identify run history and alerts` });
    seen.add(q.name);
    if (!Object.hasOwn(rawDatabases, q.database)) problems.push({ path: `${at}.database`, message: `unknown database "${q.database}" (configured: ${Object.keys(rawDatabases).join(', ') || 'none'})` });
    if (q.timezone !== undefined && !validTimezone(q.timezone)) problems.push({ path: `${at}.timezone`, message: `unknown time zone "${q.timezone}" (an IANA name, e.g. Europe/Paris)` });
    let schedule: Schedule;
    if (q.cron !== undefined) {
      try {
        new Cron(q.cron, { paused: true, ...(q.timezone && validTimezone(q.timezone) ? { timezone: q.timezone } : {}) });
      } catch (e) {
        problems.push({ path: `${at}.cron`, message: `not a cron expression: ${(e as Error).message.replace(/^CronPattern: /, '')}` });
      }
      schedule = { cron: q.cron, ...(q.timezone ? { timezone: q.timezone } : {}) };
    } else {
      schedule = { everyMs: q.every! };
    }
    queries.push({
      name: q.name,
      database: q.database,
      sql: q.sql,
      schedule,
      groupBy: q.group_by,
      severity: q.severity,
      title: q.title,
      description: q.description,
      maxRows: q.max_rows,
      timeoutMs: q.timeout,
      alertAfterFailures: q.alert_after_failures,
    });
  });
  return { databases, queries };
}
