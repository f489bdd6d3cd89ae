/**
 * What a storm summary counts (domain/storm.ts): the queued deliveries by severity, source, title and label group.
 * Pure; storage/storm-repo.ts feeds it chunk by chunk.
 */

export interface BacklogBreakdown {
  total: number;
  /** By severity name; alerts without one under `unknown`. */
  bySeverity: Record<string, number>;
  bySource: Record<string, number>;
  /** The largest groups of queued alerts by title (what is firing), most first. */
  topGroups: { title: string; count: number }[];
  /** The largest groups by the values of the `group_by` labels an alert has (alerts with none are left out). */
  labelGroups: { labels: Record<string, string>; count: number }[];
}

/** One queued delivery's alert, as the tally needs it. `labels` is the stored JSON (domain/labels.ts). */
export interface QueuedAlert {
  source: string;
  severity: string | null;
  title: string;
  labels: string;
}

/** Distinct titles or label groups tracked: fed most severe first, so the urgent ones are always in. */
const MAX_TRACKED = 10_000;

const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);

function bump(m: Map<string, number>, key: string): void {
  const seen = m.get(key);
  if (seen !== undefined) m.set(key, seen + 1);
  else if (m.size < MAX_TRACKED) m.set(key, 1);
}

/** Counts a backlog fed chunk by chunk (storage/storm-repo.ts), in bounded memory however large it is. */
export class BacklogTally {
  private total = 0;
  private readonly bySeverity: Record<string, number> = {};
  private readonly bySource: Record<string, number> = {};
  private readonly titles = new Map<string, number>();
  private readonly groups = new Map<string, number>();

  /** `"team":` and so on: an alert whose stored labels hold none of them is not parsed at all. */
  private readonly needles: string[];

  constructor(private readonly groupBy: readonly string[]) {
    this.needles = groupBy.map((name) => `${JSON.stringify(name)}:`);
  }

  add(a: QueuedAlert): void {
    this.total++;
    const severity = a.severity ?? 'unknown';
    this.bySeverity[severity] = (this.bySeverity[severity] ?? 0) + 1;
    this.bySource[a.source] = (this.bySource[a.source] ?? 0) + 1;
    bump(this.titles, a.title);
    if (!this.needles.some((n) => a.labels.includes(n))) return;
    const labels = JSON.parse(a.labels) as Record<string, string[]>;
    const pairs = this.groupBy.filter((name) => labels[name]?.length).map((name) => [name, labels[name]!.join(',')]);
    if (pairs.length) bump(this.groups, JSON.stringify(pairs));
  }

  result(n = 5): BacklogBreakdown {
    return {
      total: this.total,
      bySeverity: { ...this.bySeverity },
      bySource: { ...this.bySource },
      topGroups: top(this.titles, n).map(([title, count]) => ({ title, count })),
      labelGroups: top(this.groups, n).map(([key, count]) => ({ labels: Object.fromEntries(JSON.parse(key) as [string, string][]), count })),
    };
  }
}
