/**
 * The alert list's filters beyond what the storage query narrows (state, source, unrouted): severity, a label
 * (`team=payments`) and text in the title or dedup key. Labels are stored as one JSON column, which neither dialect
 * can index portably, so these are applied here to pages read in the list's own order, up to a bounded scan; the
 * cursor then points after the last alert looked at, so the next page carries on from there.
 */
import type { AlertRow, Executor } from '../storage/schema.ts';
import { listAlerts, type AlertFilter } from '../storage/alerts-repo.ts';

export interface AlertSearch {
  severity?: string | undefined;
  /** `name=value`: the alert has that label with that value (a list label: any member). */
  label?: { name: string; value: string } | undefined;
  /** Case-insensitive, in the title or the dedup key. */
  text?: string | undefined;
}

/** The most alerts one request reads while filtering: a search over a huge history answers in bounded time. */
export const SCAN_LIMIT = 5000;
const PAGE = 500;

export function parseLabelFilter(s: string): { name: string; value: string } | undefined {
  const eq = s.indexOf('=');
  if (eq <= 0) return undefined;
  return { name: s.slice(0, eq).trim(), value: s.slice(eq + 1).trim() };
}

export function matchesSearch(a: AlertRow, s: AlertSearch): boolean {
  if (s.severity && (a.severity ?? 'none') !== s.severity) return false;
  if (s.label) {
    const values = (JSON.parse(a.labels) as Record<string, string[]>)[s.label.name];
    if (!values?.includes(s.label.value)) return false;
  }
  if (s.text) {
    const t = s.text.toLowerCase();
    if (!a.title.toLowerCase().includes(t) && !a.dedup_key.toLowerCase().includes(t)) return false;
  }
  return true;
}

export const searching = (s: AlertSearch) => !!(s.severity || s.label || s.text);

/** Up to `limit` matching alerts, and the position the scan reached (undefined: nothing more to read). */
export async function searchAlerts(db: Executor, base: AlertFilter, s: AlertSearch): Promise<{ alerts: AlertRow[]; next: AlertRow | undefined }> {
  if (!searching(s)) {
    const rows = await listAlerts(db, base);
    return { alerts: rows, next: rows.length === base.limit ? rows.at(-1) : undefined };
  }
  const found: AlertRow[] = [];
  let before = base.before;
  for (let scanned = 0; scanned < SCAN_LIMIT; ) {
    const rows = await listAlerts(db, { ...base, before, limit: PAGE });
    for (const a of rows) {
      scanned++;
      if (matchesSearch(a, s)) found.push(a);
      if (found.length === base.limit) return { alerts: found, next: a };
    }
    if (rows.length < PAGE) return { alerts: found, next: undefined };
    const last = rows.at(-1)!;
    before = { updatedAt: last.updated_at, id: last.id };
  }
  // The scan budget ran out: the cursor lets the caller read on from where this stopped.
  return { alerts: found, next: { updated_at: before!.updatedAt, id: before!.id } as AlertRow };
}
