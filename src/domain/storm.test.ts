import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BacklogTally } from './storm-tally.ts';
import {
  decideStorm,
  DEFAULT_STORM,
  pendingLinks,
  STORM_PRIORITY,
  stormBounds,
  summaryChanged,
  summaryContent,
  worstSeverity,
  type StormInput,
  type SummaryView,
} from './storm.ts';
import { severityRank } from './alert.ts';

test('bounds: a backlog is a storm past what the rate limit drains in `after`; it ends at a tenth of that', () => {
  assert.deepEqual(stormBounds(120, { afterMs: 120_000 }), { enterAbove: 240, endAtOrBelow: 24 });
  assert.deepEqual(stormBounds(1200, { afterMs: 120_000 }), { enterAbove: 2400, endAtOrBelow: 240 });
  assert.deepEqual(stormBounds(120, { afterMs: 5_000 }), { enterAbove: 10, endAtOrBelow: 1 });
  // A tiny bound still needs more than one queued row, and ends only at an empty queue.
  assert.deepEqual(stormBounds(6, { afterMs: 1_000 }), { enterAbove: 1, endAtOrBelow: 0 });
});

test('the summary goes ahead of a critical alert in the claim order', () => {
  assert.ok(STORM_PRIORITY > severityRank('critical'));
});

const bounds = { enterAbove: 240, endAtOrBelow: 24 };
const active: SummaryView = { active: true, resolvedByPerson: false, updatedAt: 1_000 };
const resolved: SummaryView = { active: false, resolvedByPerson: false, updatedAt: 1_000 };
const base: StormInput = { settings: DEFAULT_STORM, bounds, backlog: 0, summary: undefined, held: false, now: 1_000 };

const table: [string, Partial<StormInput>, ReturnType<typeof decideStorm>][] = [
  ['small backlog, no summary: quiet', { backlog: 240 }, { kind: 'quiet' }],
  ['one past the bound: start', { backlog: 241 }, { kind: 'start' }],
  ['past the bound after an earlier storm: start again', { backlog: 5_000, summary: resolved }, { kind: 'start' }],
  ['disabled: never starts', { backlog: 5_000, settings: { ...DEFAULT_STORM, enabled: false } }, { kind: 'quiet' }],
  ['held after a person resolved it: quiet', { backlog: 5_000, summary: { ...resolved, resolvedByPerson: true }, held: true }, { kind: 'quiet' }],
  ['active, still large, updated just now: steady', { backlog: 3_000, summary: active, now: 1_000 + 29_999 }, { kind: 'steady' }],
  ['active, update interval passed: refresh', { backlog: 3_000, summary: active, now: 1_000 + 30_000 }, { kind: 'refresh' }],
  ['active, between the bounds: still a storm (no flapping)', { backlog: 100, summary: active }, { kind: 'steady' }],
  ['active, down to the low mark: end', { backlog: 24, summary: active }, { kind: 'end', reason: 'drained' }],
  ['active, empty: end', { backlog: 0, summary: active }, { kind: 'end', reason: 'drained' }],
  ['active, storm mode switched off: end', { backlog: 5_000, summary: active, settings: { ...DEFAULT_STORM, enabled: false } }, { kind: 'end', reason: 'disabled' }],
];
for (const [name, input, expected] of table) {
  test(`decide: ${name}`, () => assert.deepEqual(decideStorm({ ...base, ...input }), expected));
}

test('the summary pages as hard as the worst queued alert; unknown severity ranks as error', () => {
  assert.equal(worstSeverity({ warning: 10, critical: 1 }), 'critical');
  assert.equal(worstSeverity({ info: 10, unknown: 2 }), 'error');
  assert.equal(worstSeverity({ info: 3, critical: 0 }), 'info');
  assert.equal(worstSeverity({}), 'warning');
});

test('summary content: counts by severity and source, the largest groups, the drain time and the link', () => {
  const links = pendingLinks('http://127.0.0.1:8080/', 'on call');
  assert.deepEqual(links, {
    page: 'http://127.0.0.1:8080/ui/deliveries?destination=on%20call&status=pending',
    api: 'http://127.0.0.1:8080/api/v1/deliveries?destination=on%20call&status=pending',
  });
  const c = summaryContent({
    destination: 'oncall',
    perMinute: 120,
    breakdown: {
      total: 4_800,
      bySeverity: { warning: 4_000, critical: 50, unknown: 750 },
      bySource: { prom: 4_700, dbt: 100 },
      topGroups: [
        { title: 'KubePodNotReady', count: 3_000 },
        { title: 'Disk full', count: 10 },
        { title: 'Node db-7 down', count: 1 },
      ],
      labelGroups: [
        { labels: { alertname: 'KubePodNotReady', team: 'data' }, count: 2_500 },
        { labels: { alertname: 'NodeDown', team: 'db' }, count: 1 },
      ],
    },
    links,
    startedAt: Date.UTC(2026, 0, 1),
  });
  assert.equal(c.title, 'Alert storm: 4,800 alerts queued for oncall (about 40 min to send)');
  assert.equal(c.severity, 'critical');
  assert.equal(c.sourceUrl, links.page);
  assert.match(c.description, /By severity: 50 critical, 4,000 warning, 750 unknown\./);
  assert.match(c.description, /By source: prom 4,700, dbt 100\./);
  // Groups of one alert tell nothing: left out.
  assert.match(c.description, /Largest groups by title:\n- 3,000 × KubePodNotReady\n- 10 × Disk full\nLargest/);
  assert.match(c.description, /Largest groups by label:\n- 2,500 × alertname=KubePodNotReady team=data\n\n/);
  assert.deepEqual(c.metadata.top_label_groups, [{ labels: { alertname: 'KubePodNotReady', team: 'data' }, count: 2_500 }]);
  assert.ok(c.description.endsWith(`Queued deliveries: ${links.page} (API: ${links.api})`));
  assert.deepEqual(c.metadata.by_severity, { warning: 4_000, unknown: 750, critical: 50 });
  assert.deepEqual(c.metadata.top_groups, [
    { title: 'KubePodNotReady', count: 3_000 },
    { title: 'Disk full', count: 10 },
  ]);
  assert.equal(c.metadata.queued, 4_800);
  assert.equal(c.metadata.drain_minutes, 40);
  assert.equal(c.metadata.storm_started_at, '2026-01-01T00:00:00.000Z');
  assert.equal(c.metadata.pending_deliveries_url, links.api);
  assert.equal(c.metadata.pending_deliveries_page, links.page);

  const hours = summaryContent({
    destination: 'x',
    perMinute: 120,
    breakdown: { total: 100_000, bySeverity: {}, bySource: {}, topGroups: [{ title: 'a', count: 1 }], labelGroups: [{ labels: { host: 'a' }, count: 1 }] },
    links,
    startedAt: 0,
  });
  assert.match(hours.title, /about 14 h to send/);
  assert.doesNotMatch(hours.description, /Largest groups/, 'every alert its own group: no list');
  assert.deepEqual([hours.metadata.top_groups, hours.metadata.top_label_groups], [[], []]);
});

test('the tally: counts by severity and source, groups by title and by the group_by labels an alert has', () => {
  const t = new BacklogTally(['alertname', 'team']);
  const add = (title: string, labels: Record<string, string[]>, severity: string | null = 'warning', source = 'prom') =>
    t.add({ source, severity, title, labels: JSON.stringify(labels) });
  for (let i = 0; i < 3; i++) add('Pod not ready', { alertname: ['KubePodNotReady'], team: ['data'], pod: [`p${i}`] });
  add('Pod not ready', { alertname: ['KubePodNotReady'], team: ['web'] }, 'critical');
  add('Orders 5xx', { service: ['orders'] }, null, 'app');
  add('Tagged', { alertname: ['X'], team: ['a', 'b'] });
  assert.deepEqual(t.result(2), {
    total: 6,
    bySeverity: { warning: 4, critical: 1, unknown: 1 },
    bySource: { prom: 5, app: 1 },
    topGroups: [
      { title: 'Pod not ready', count: 4 },
      { title: 'Orders 5xx', count: 1 },
    ],
    labelGroups: [
      { labels: { alertname: 'KubePodNotReady', team: 'data' }, count: 3 },
      { labels: { alertname: 'KubePodNotReady', team: 'web' }, count: 1 },
    ],
  });
  assert.deepEqual(t.result(5).labelGroups.at(-1), { labels: { alertname: 'X', team: 'a,b' }, count: 1 }, 'several values of one label are one group');
  assert.deepEqual(new BacklogTally([]).result().labelGroups, []);
});

test('an update is sent only when the counts changed', () => {
  const m = { queued: 10, by_severity: { warning: 10 }, by_source: { a: 10 }, top_groups: [], rate_limit_per_minute: 120, storm_started_at: 'x' };
  assert.equal(summaryChanged(undefined, m), true);
  assert.equal(summaryChanged(m, { ...m, storm_started_at: 'y' }), false);
  assert.equal(summaryChanged(m, { ...m, queued: 11 }), true);
  assert.equal(summaryChanged(m, { ...m, by_severity: { warning: 9, critical: 1 } }), true);
});
