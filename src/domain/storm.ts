import { SEVERITIES, severityRank, type JsonObject, type Severity } from './alert.ts';
import type { BacklogBreakdown } from './storm-tally.ts';

/**
 * Storm mode (DESIGN.md), the decisions only: when a destination's backlog is a storm, when the summary alert is
 * updated or resolved, and what it says. Pure: the queries and the writes live in storage/storm-repo.ts,
 * core/storm-summary.ts and delivery/storm.ts.
 */

export interface StormSettings {
  enabled: boolean;
  /** A backlog that would take longer than this to drain at the destination's rate limit is a storm. */
  afterMs: number;
  /** The summary is updated at most this often: its sends spend the same rate limit as the alerts. */
  updateIntervalMs: number;
  /** Labels whose values make the summary's groups (as Alertmanager's `group_by`). */
  groupBy: readonly string[];
}

export const DEFAULT_STORM: StormSettings = { enabled: true, afterMs: 2 * 60_000, updateIntervalMs: 30_000, groupBy: ['alertname', 'service', 'team'] };

/**
 * The summary is an alert of this internal source, keyed by destination name. Source names in the config cannot
 * hold `:`, so no configured source can ever share its identity; the key incident.io sees is
 * `tocsin:storm:<destination>`.
 */
export const STORM_SOURCE = 'tocsin:storm';

/** Above every severity (severityRank gives 1–4): the claim hands out the summary's sends before any alert's. */
export const STORM_PRIORITY = SEVERITIES.length + 1;

/** Who wrote the summary's transitions; a resolve by anyone else (a person, through the API) is respected. */
export const STORM_ACTOR = 'tocsin';

export interface StormBounds {
  /** A backlog larger than this is a storm. */
  enterAbove: number;
  /**
   * The storm is over once the backlog is down to this many: what drains within a tenth of `after`. Waiting for
   * exactly zero would keep the summary firing for as long as one delivery sits in retry backoff, or while a steady
   * trickle keeps a row or two queued; the gap between the two bounds keeps the summary from flapping.
   */
  endAtOrBelow: number;
}

export function stormBounds(perMinute: number, settings: Pick<StormSettings, 'afterMs'>): StormBounds {
  const enterAbove = Math.max(1, Math.floor((perMinute * settings.afterMs) / 60_000));
  return { enterAbove, endAtOrBelow: Math.floor(enterAbove / 10) };
}

/** What storm state the stored summary says, as the decision needs it. */
export interface SummaryView {
  /** Firing or acknowledged. */
  active: boolean;
  /** A person resolved the last summary while its storm still raged: no new one until the backlog has drained. */
  resolvedByPerson: boolean;
  /** When the summary was last written (start or update). */
  updatedAt: number;
}

export type StormDecision =
  | { kind: 'quiet' }
  | { kind: 'start' }
  /** Active; an update is due if the content changed (the caller compares: that needs the full breakdown). */
  | { kind: 'refresh' }
  | { kind: 'steady' }
  | { kind: 'end'; reason: 'drained' | 'disabled' };

export interface StormInput {
  settings: StormSettings;
  bounds: StormBounds;
  /** Deliveries queued for the destination, the summary's own excepted (exact up to the bound that matters). */
  backlog: number;
  summary: SummaryView | undefined;
  /** Set when a person resolved a summary; cleared by the caller once the backlog drains. */
  held: boolean;
  now: number;
}

export function decideStorm(i: StormInput): StormDecision {
  if (i.summary?.active) {
    if (!i.settings.enabled) return { kind: 'end', reason: 'disabled' };
    if (i.backlog <= i.bounds.endAtOrBelow) return { kind: 'end', reason: 'drained' };
    return i.now - i.summary.updatedAt >= i.settings.updateIntervalMs ? { kind: 'refresh' } : { kind: 'steady' };
  }
  if (!i.settings.enabled || i.held) return { kind: 'quiet' };
  return i.backlog > i.bounds.enterAbove ? { kind: 'start' } : { kind: 'quiet' };
}

export interface SummaryContent {
  title: string;
  description: string;
  severity: Severity;
  metadata: JsonObject;
  sourceUrl: string;
}

export interface SummaryInput {
  destination: string;
  perMinute: number;
  breakdown: BacklogBreakdown;
  /** This destination's pending deliveries: the web UI's page (the link people follow) and the management API's list. */
  links: PendingLinks;
  startedAt: number;
}

/** The most severe level queued: the summary pages as hard as the worst alert it stands for. */
export function worstSeverity(bySeverity: Record<string, number>): Severity {
  let worst: Severity = 'warning';
  let rank = 0;
  for (const [name, n] of Object.entries(bySeverity)) {
    if (n <= 0) continue;
    const r = severityRank(name === 'unknown' ? null : name);
    if (r > rank) {
      rank = r;
      worst = SEVERITIES[SEVERITIES.length - r]!;
    }
  }
  return worst;
}

const count = (n: number) => n.toLocaleString('en-US');

function drainText(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}

const sorted = (r: Record<string, number>) => Object.entries(r).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));

export function summaryContent(i: SummaryInput): SummaryContent {
  const { breakdown: b } = i;
  const drainMs = (b.total / i.perMinute) * 60_000;
  const levels: string[] = [...SEVERITIES, 'unknown'];
  const severityLine = levels
    .filter((s) => (b.bySeverity[s] ?? 0) > 0)
    .map((s) => `${count(b.bySeverity[s]!)} ${s}`)
    .join(', ');
  const lines = [
    `${count(b.total)} alert deliveries are queued for destination "${i.destination}": at its rate limit of ${i.perMinute}/min they take about ${drainText(drainMs)} to send.`,
    'tocsin sends the most severe first, keeps only the latest state of each alert while it waits, and resolves this summary once the queue has drained.',
    '',
    `By severity: ${severityLine || 'none'}.`,
    `By source: ${sorted(b.bySource).map(([s, n]) => `${s} ${count(n)}`).join(', ') || 'none'}.`,
  ];
  // A group of one says nothing about the storm (a partition's alerts often differ by host in the title): only
  // groups that gather several alerts are listed.
  const topGroups = b.topGroups.filter((g) => g.count > 1);
  const labelGroups = b.labelGroups.filter((g) => g.count > 1);
  if (topGroups.length) lines.push('Largest groups by title:', ...topGroups.map((g) => `- ${count(g.count)} × ${g.title}`));
  if (labelGroups.length) {
    const said = (l: Record<string, string>) => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(' ');
    lines.push('Largest groups by label:', ...labelGroups.map((g) => `- ${count(g.count)} × ${said(g.labels)}`));
  }
  lines.push('', `Queued deliveries: ${i.links.page} (API: ${i.links.api})`);
  return {
    title: `Alert storm: ${count(b.total)} alerts queued for ${i.destination} (about ${drainText(drainMs)} to send)`,
    description: lines.join('\n'),
    severity: worstSeverity(b.bySeverity),
    sourceUrl: i.links.page,
    metadata: {
      tocsin_storm: true,
      destination: i.destination,
      queued: b.total,
      drain_minutes: Math.ceil(drainMs / 60_000),
      rate_limit_per_minute: i.perMinute,
      by_severity: Object.fromEntries(sorted(b.bySeverity)),
      by_source: Object.fromEntries(sorted(b.bySource)),
      top_groups: topGroups.map((g) => ({ title: g.title, count: g.count })),
      top_label_groups: labelGroups.map((g) => ({ labels: g.labels, count: g.count })),
      pending_deliveries_url: i.links.api,
      pending_deliveries_page: i.links.page,
      storm_started_at: new Date(i.startedAt).toISOString(),
    },
  };
}

/**
 * Whether an update would tell incident.io anything new. The drain estimate follows the count, so comparing the
 * counts is enough; the start time and link never change within a storm.
 */
export function summaryChanged(previous: JsonObject | undefined, next: JsonObject): boolean {
  if (!previous) return true;
  const keys = ['queued', 'by_severity', 'by_source', 'top_groups', 'top_label_groups', 'rate_limit_per_minute'] as const;
  return keys.some((k) => JSON.stringify(previous[k]) !== JSON.stringify(next[k]));
}

export interface PendingLinks {
  /** The web UI's Deliveries page, filtered to the destination's pending rows (after a log-in with the admin token). */
  page: string;
  /** The management API's list of the same rows (admin token as a bearer token). */
  api: string;
}

/**
 * Where a destination's queued deliveries are listed. `base` is where tocsin's HTTP API is reached; a wildcard listen
 * address says nothing to a reader, so the caller passes the host name instead.
 */
export function pendingLinks(base: string, destination: string): PendingLinks {
  const root = base.replace(/\/+$/, '');
  const q = `destination=${encodeURIComponent(destination)}&status=pending`;
  return { page: `${root}/ui/deliveries?${q}`, api: `${root}/api/v1/deliveries?${q}` };
}
