/**
 * Turns the configured severity and status names (or ids) into incident.io ids, against the organisation's own
 * lists. Pure: the lists are fetched elsewhere. Names are per-organisation configuration (CONTRACT.md §2), so
 * nothing here guesses from a name: an unknown name is a config error that lists the valid ones, and a tocsin
 * severity left unmapped falls back by rank, never by name.
 */
import { SEVERITIES, type Severity } from '../../domain/alert.ts';
import type { SeverityRef, StatusRef } from './incidents-contract.ts';

export interface Catalog {
  /** Every tocsin severity, mapped (explicitly or by the rank fallback). */
  bySeverity: Record<Severity, SeverityRef>;
  /** Set when on_resolve is `close`. */
  closedStatus?: StatusRef;
}

export interface CatalogProblem {
  /** Key path inside `destinations.<name>`, e.g. `severity.critical`. */
  path: string;
  message: string;
}

export type CatalogResult = { ok: true; catalog: Catalog } | { ok: false; problems: CatalogProblem[] };

export interface CatalogConfig {
  severity: Partial<Record<Severity, string>>;
  closed_status?: string | undefined;
  on_resolve: 'close' | 'summary_only' | 'nothing';
}

type Lookup<T> = { kind: 'found'; item: T } | { kind: 'ambiguous'; items: T[] } | { kind: 'unknown' };

/** An id matches exactly; a name matches exactly, else case-insensitively — but only when that is unambiguous. */
export function lookup<T extends { id: string; name: string }>(list: readonly T[], wanted: string): Lookup<T> {
  const byId = list.find((x) => x.id === wanted);
  if (byId) return { kind: 'found', item: byId };
  for (const same of [(x: T) => x.name === wanted, (x: T) => x.name.trim().toLowerCase() === wanted.trim().toLowerCase()]) {
    const hits = list.filter(same);
    if (hits.length === 1) return { kind: 'found', item: hits[0]! };
    if (hits.length > 1) return { kind: 'ambiguous', items: hits };
  }
  return { kind: 'unknown' };
}

/** tocsin severities from least to most severe. */
const ASCENDING: readonly Severity[] = [...SEVERITIES].reverse();

/**
 * The rank fallback: an unmapped tocsin severity takes the mapping of the nearest configured *less* severe one, and
 * with none below it, the organisation's lowest-rank severity. So the mapping never declares an incident more
 * severe than the user asked for at that level, and it stays monotone when the configured part is.
 */
export function fillByRank(configured: Partial<Record<Severity, SeverityRef>>, lowest: SeverityRef): Record<Severity, SeverityRef> {
  const out = {} as Record<Severity, SeverityRef>;
  let below = lowest;
  for (const s of ASCENDING) {
    const own = configured[s];
    if (own) below = own;
    out[s] = own ?? below;
  }
  return out;
}

const byRank = <T extends { rank: number }>(list: readonly T[]) => [...list].sort((a, b) => a.rank - b.rank);
const quoted = (names: readonly { name: string }[]) => names.map((x) => `"${x.name}"`).join(', ');
const CATEGORY_LABEL: Record<string, string> = { live: 'an active (live)', learning: 'a post-incident (learning)', triage: 'a triage' };

function resolveSeverities(c: CatalogConfig, severities: readonly SeverityRef[], problems: CatalogProblem[]): Record<Severity, SeverityRef> | undefined {
  if (severities.length === 0) {
    problems.push({ path: 'severity', message: 'incident.io lists no severities for this organisation: add them in incident.io (Settings → Severities)' });
    return undefined;
  }
  const ordered = byRank(severities);
  const configured: Partial<Record<Severity, SeverityRef>> = {};
  for (const level of SEVERITIES) {
    const wanted = c.severity[level];
    if (wanted === undefined) continue;
    const found = lookup(ordered, wanted);
    if (found.kind === 'found') configured[level] = found.item;
    else if (found.kind === 'ambiguous') {
      problems.push({ path: `severity.${level}`, message: `several incident.io severities are called "${wanted}" (ids ${found.items.map((s) => s.id).join(', ')}): give the id instead` });
    } else {
      problems.push({ path: `severity.${level}`, message: `incident.io has no severity "${wanted}"; valid names, least to most severe: ${quoted(ordered)} (or their ids)` });
    }
  }
  return fillByRank(configured, ordered[0]!);
}

function resolveClosedStatus(c: CatalogConfig, statuses: readonly StatusRef[], problems: CatalogProblem[]): StatusRef | undefined {
  const closed = byRank(statuses.filter((s) => s.category === 'closed'));
  const closedNames = closed.length ? quoted(closed) : 'none';
  if (c.closed_status === undefined) {
    if (closed.length === 1) return closed[0];
    problems.push({
      path: 'closed_status',
      message: closed.length
        ? `incident.io has several statuses in the closed category (${closedNames}): set closed_status to one of them`
        : 'incident.io lists no status in the closed category: set closed_status, or use on_resolve: summary_only or nothing',
    });
    return undefined;
  }
  const found = lookup(byRank(statuses), c.closed_status);
  if (found.kind === 'ambiguous') {
    problems.push({ path: 'closed_status', message: `several incident.io statuses are called "${c.closed_status}" (ids ${found.items.map((s) => s.id).join(', ')}): give the id instead` });
    return undefined;
  }
  if (found.kind === 'unknown') {
    const all = byRank(statuses).map((s) => `"${s.name}" (${s.category})`).join(', ');
    problems.push({ path: 'closed_status', message: `incident.io has no incident status "${c.closed_status}"; statuses in the closed category: ${closedNames} (all statuses: ${all || 'none'})` });
    return undefined;
  }
  if (found.item.category !== 'closed') {
    const label = CATEGORY_LABEL[found.item.category] ?? `a ${found.item.category}`;
    problems.push({
      path: 'closed_status',
      message: `"${found.item.name}" is ${label} status, not a closed one: on_resolve: close needs a status in the closed category (${closedNames})`,
    });
    return undefined;
  }
  return found.item;
}

/** `statuses` is only needed (and only fetched) for on_resolve: close. */
export function resolveCatalog(c: CatalogConfig, severities: readonly SeverityRef[], statuses: readonly StatusRef[] | undefined): CatalogResult {
  const problems: CatalogProblem[] = [];
  const bySeverity = resolveSeverities(c, severities, problems);
  const closedStatus = c.on_resolve === 'close' ? resolveClosedStatus(c, statuses ?? [], problems) : undefined;
  if (problems.length || !bySeverity) return { ok: false, problems };
  return { ok: true, catalog: closedStatus ? { bySeverity, closedStatus } : { bySeverity } };
}

/** Alerts without a severity are treated as `info`. */
export function severityFor(catalog: Catalog, severity: Severity | undefined): SeverityRef {
  return catalog.bySeverity[severity ?? 'info'];
}
