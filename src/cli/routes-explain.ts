/** What `tocsin routes show/test` print, computed with the gateway's own routing functions. Pure. */
import { SEVERITIES, type Severity } from '../domain/alert.ts';
import { labelsOf, parseLabelArgs, type Labels } from '../domain/labels.ts';
import { matchesAll, type Matcher } from '../routing/matchers.ts';
import { route, type Route } from '../routing/routes.ts';

export const formatMatcher = (m: Pick<Matcher, 'label' | 'value'> & { op: string }) => `${m.label}${m.op}${JSON.stringify(m.value)}`;

export interface RouteInfo {
  /** 1-based, as people count routes in the file. */
  index: number;
  match: { label: string; op: string; value: string }[];
  to: string[];
  /** An escalation's later steps: `{ after_ms, to }`, each only if the alert is still unacknowledged by then. */
  escalation?: { after_ms: number; to: string[] }[];
  continue: boolean;
  /** No matchers: every alert that gets this far matches. */
  catchAll: boolean;
  /** An earlier catch-all without `continue` stops every alert before this one. */
  unreachable: boolean;
}

export interface RouteTree {
  routes: RouteInfo[];
  /** The first reachable catch-all: where an alert no other route took ends up; null when unmatched alerts go nowhere. */
  defaultRoute: number | null;
}

export function routeTree(routes: readonly Route[]): RouteTree {
  let stoppedAt: number | null = null;
  let defaultRoute: number | null = null;
  const out = routes.map((r, i): RouteInfo => {
    const catchAll = r.matchers.length === 0;
    const unreachable = stoppedAt !== null;
    if (catchAll && !unreachable) {
      defaultRoute ??= i + 1;
      if (!r.continue) stoppedAt = i + 1;
    }
    const info: RouteInfo = { index: i + 1, match: r.matchers.map(({ label, op, value }) => ({ label, op, value })), to: [...r.to], continue: r.continue, catchAll, unreachable };
    if (r.steps?.length) info.escalation = r.steps.map((s) => ({ after_ms: s.afterMs, to: [...s.to] }));
    return info;
  });
  return { routes: out, defaultRoute };
}

export type TestInput = { ok: true; labels: Labels; warnings: string[] } | { ok: false; message: string };

/**
 * `team=storage severity=critical` plus `--source` as the labels an alert would carry. `severity` must be one of
 * tocsin's severities: routes see the normalised word, never the sender's (`P1` is mapped before routing).
 */
export function testLabels(args: readonly string[], source: string | undefined): TestInput {
  const parsed = parseLabelArgs(args);
  if (!parsed.ok) return { ok: false, message: `${parsed.message}: give labels as name=value, e.g. team=storage severity=critical` };
  const { severity: sev, source: labelSource, ...rest } = parsed.labels;
  if (sev && (sev.length > 1 || !(SEVERITIES as readonly string[]).includes(sev[0]!))) {
    return { ok: false, message: `severity=${sev.join(',')}: routes see tocsin's severity, one of ${SEVERITIES.join(', ')} (a source's severity_map turns words like P1 into these)` };
  }
  if (labelSource && (labelSource.length > 1 || (source !== undefined && labelSource[0] !== source))) {
    return { ok: false, message: 'give the source once, as --source NAME or source=NAME' };
  }
  const src = source ?? labelSource?.[0];
  const warnings = src === undefined ? ['no source given (--source NAME): routes that match on source will not match'] : [];
  const labels = labelsOf({ source: src ?? '', severity: sev?.[0] as Severity | undefined, metadata: {}, labels: rest });
  // labelsOf always names a source; an alert with none does not exist, but a test without one should not invent it.
  if (src === undefined) delete labels.source;
  return { ok: true, labels, warnings };
}

export interface RouteTest {
  /** The routes that matched, in the order the gateway tries them. */
  matched: number[];
  /** Exactly what the gateway's `route` answers for these labels. */
  destinations: string[];
}

export function testRoutes(routes: readonly Route[], labels: Labels): RouteTest {
  const matched: number[] = [];
  for (const [i, r] of routes.entries()) {
    if (!matchesAll(r.matchers, labels)) continue;
    matched.push(i + 1);
    if (!r.continue) break;
  }
  return { matched, destinations: route(routes, labels) };
}

export const formatLabels = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k]!.join(','))}`)
    .join(', ');
