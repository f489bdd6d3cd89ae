/**
 * A query's result as alert events. Pure.
 *
 * Identity: the internal source `tocsin:query` (like the storm summary's `tocsin:storm`: not a configured source, so
 * no sender can post as it), dedup key `<name>` — or `<name>:<column>=<value>,…` per group with `group_by`, values
 * URI-encoded so no two groups share a key — and `<name>:failing` for the query's own failure alert (a group key
 * always holds `=`, so it can never be that). Labels `query=<name>`, `database=<name>` and the group's columns, so
 * routes can match them. Rows fire; a run with no rows (or without a group's rows) resolves what is active.
 */
import type { AlertEvent, JsonObject, JsonValue } from '../domain/alert.ts';
import type { QuerySpec } from './config.ts';

export const QUERY_SOURCE = 'tocsin:query';

/** incident.io drops bodies over 512 KB: the rows kept in metadata.data stay well under, leaving room for the rest. */
export const DATA_BUDGET_BYTES = 400 * 1024;

export const failingKey = (query: string) => `${query}:failing`;

/** Whether an alert of QUERY_SOURCE belongs to this query's results (not its failure alert). */
export const isResultKey = (query: string, dedupKey: string) => dedupKey === query || (dedupKey.startsWith(`${query}:`) && dedupKey !== failingKey(query));

const text = (v: JsonValue | undefined) => (v === null || v === undefined ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function groupKey(query: string, groupBy: readonly string[], row: JsonObject): string {
  if (!groupBy.length) return query;
  return `${query}:${groupBy.map((c) => `${c}=${encodeURIComponent(text(row[c]))}`).join(',')}`;
}

/** `{{column}}` → the row's value; a column the row does not have stays as written, so the mistake shows. */
export function fillTemplate(template: string, row: JsonObject | undefined): string {
  return template.replace(/\{\{\s*([^{}\s]+)\s*\}\}/g, (whole, col: string) => (row && Object.hasOwn(row, col) ? text(row[col]) : whole));
}

/** The rows that fit the payload budget, in order; `truncated` when some were left out. */
export function capRows(rows: readonly JsonObject[], budget = DATA_BUDGET_BYTES): { data: JsonObject[]; cut: boolean } {
  const data: JsonObject[] = [];
  let used = 2;
  for (const r of rows) {
    const size = Buffer.byteLength(JSON.stringify(r)) + 1;
    if (used + size > budget) return { data, cut: true };
    used += size;
    data.push(r);
  }
  return { data, cut: false };
}

function firing(spec: QuerySpec, key: string, rows: JsonObject[], truncated: boolean, group: JsonObject | undefined): AlertEvent {
  const { data, cut } = capRows(rows);
  const groupText = group ? Object.entries(group).map(([k, v]) => `${k}=${text(v)}`).join(', ') : '';
  const fallback = `Query ${spec.name} returned rows${group ? ` (${groupText})` : ''}`;
  // A template filled with empty values must not leave the alert without a title.
  const title = (spec.title ? fillTemplate(spec.title, rows[0]) : '').trim() || fallback;
  const metadata: JsonObject = { query: spec.name, database: spec.database, row_count: rows.length, data };
  if (group) metadata.group = group;
  if (truncated || cut) metadata.truncated = true;
  const labels: Record<string, string> = { query: spec.name, database: spec.database };
  for (const [k, v] of Object.entries(group ?? {})) labels[k] ??= text(v);
  const e: AlertEvent = { source: QUERY_SOURCE, dedupKey: key, status: 'firing', title, severity: spec.severity, metadata, labels };
  const description = spec.description ? fillTemplate(spec.description, rows[0]) : `${rows.length}${truncated ? '+' : ''} row${rows.length === 1 ? '' : 's'} from query ${spec.name} on database ${spec.database}.`;
  e.description = description;
  return e;
}

export interface ActiveAlert {
  dedup_key: string;
  title: string;
}

/**
 * The events a successful run sends: one firing per group with rows (or one for the query), one resolved per active
 * result alert that has none now. A truncated result resolves nothing: the groups cut off may still have rows.
 */
export function resultEvents(spec: QuerySpec, rows: readonly JsonObject[], truncated: boolean, active: readonly ActiveAlert[]): AlertEvent[] {
  const groups = new Map<string, { rows: JsonObject[]; group: JsonObject | undefined }>();
  for (const r of rows) {
    const key = groupKey(spec.name, spec.groupBy, r);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { rows: [], group: spec.groupBy.length ? Object.fromEntries(spec.groupBy.map((c) => [c, r[c] ?? null])) : undefined }));
    g.rows.push(r);
  }
  const events = [...groups].map(([key, g]) => firing(spec, key, g.rows, truncated, g.group));
  if (truncated && rows.length) return events;
  for (const a of active) {
    if (!isResultKey(spec.name, a.dedup_key) || groups.has(a.dedup_key)) continue;
    events.push({
      source: QUERY_SOURCE,
      dedupKey: a.dedup_key,
      status: 'resolved',
      title: a.title,
      metadata: { query: spec.name, database: spec.database, row_count: 0, data: [] },
      labels: { query: spec.name, database: spec.database },
    });
  }
  return events;
}

/** The query's own alert: it failed `failures` times in a row (firing), or it ran again (resolved). */
export function failingEvent(spec: QuerySpec, status: 'firing' | 'resolved', failures: number, lastError: string | undefined): AlertEvent {
  return {
    source: QUERY_SOURCE,
    dedupKey: failingKey(spec.name),
    status,
    title: `Query ${spec.name} is failing`,
    description: status === 'firing' ? `Query ${spec.name} on database ${spec.database} failed ${spec.alertAfterFailures} or more times in a row (the last error is in the metadata; tocsin queries shows the run history).` : `Query ${spec.name} ran successfully again.`,
    severity: 'error',
    metadata: { query: spec.name, database: spec.database, consecutive_failures: failures, ...(lastError ? { last_error: lastError } : {}) },
    labels: { query: spec.name, database: spec.database, kind: 'query_failing' },
    // Each further failure is not news: the alert says it is failing until a run succeeds.
    volatile: ['consecutive_failures', 'last_error'],
  };
}

/** The query an alert of QUERY_SOURCE belongs to: its key up to the first `:` (query names have none). */
export const queryOfKey = (dedupKey: string) => dedupKey.split(':', 1)[0]!;

/**
 * Resolves for the open alerts of queries no longer configured (removed, or renamed by a reload): nothing else would
 * ever resolve them.
 */
export function removedQueryEvents(active: readonly ActiveAlert[], configured: ReadonlySet<string>): AlertEvent[] {
  return active
    .filter((a) => !configured.has(queryOfKey(a.dedup_key)))
    .map((a) => ({ source: QUERY_SOURCE, dedupKey: a.dedup_key, status: 'resolved' as const, title: a.title, metadata: { query: queryOfKey(a.dedup_key), removed: true }, labels: { query: queryOfKey(a.dedup_key) } }));
}
