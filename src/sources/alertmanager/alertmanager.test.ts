import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildConfig } from '../../config/load.ts';
import { alertmanagerSource, type AlertmanagerOptions } from './alertmanager.ts';
import { MAX_ALERTS_PER_NOTIFICATION } from './notification.ts';

const sample = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8'));

const options: AlertmanagerOptions = alertmanagerSource.options.parse({});
const parse = (body: unknown, opts: AlertmanagerOptions = options) =>
  alertmanagerSource.parse(body, { source: 'prom', options: opts, query: {} });

// The three notifications of one real group (see testdata): each alert's own status wins over the group's.
const samples: [string, [string, string][]][] = [
  ['webhook-v4-1-firing.json', [['4cad96182c5f90ff', 'firing'], ['42204f712b672566', 'firing']]],
  ['webhook-v4-2-firing.json', [['4cad96182c5f90ff', 'resolved'], ['42204f712b672566', 'firing']]],
  ['webhook-v4-3-resolved.json', [['42204f712b672566', 'resolved']]],
];

for (const [file, expected] of samples) {
  test(`real sample ${file}: one event per alert, by its own status and fingerprint`, () => {
    const r = parse(sample(file));
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(
      r.value.events.map((e) => [e.dedupKey, e.status]),
      expected,
    );
    for (const e of r.value.events) {
      assert.equal(e.source, 'prom');
      assert.equal(e.title, 'CPU above 90% for 5m');
      assert.equal(e.severity, 'critical');
    }
  });
}

test('the first real alert in full', () => {
  const r = parse(sample('webhook-v4-1-firing.json'));
  assert.ok(r.ok);
  assert.deepEqual(r.value.events[0], {
    source: 'prom',
    dedupKey: '4cad96182c5f90ff',
    status: 'firing',
    title: 'CPU above 90% for 5m',
    description: 'Labels:\n- alertname: HighCPU\n- instance: host1:9100\n- service: api\n- severity: critical',
    severity: 'critical',
    sourceUrl: 'http://prometheus.local/graph?g0.expr=cpu',
    metadata: {
      alertname: 'HighCPU',
      fingerprint: '4cad96182c5f90ff',
      labels: { alertname: 'HighCPU', instance: 'host1:9100', service: 'api', severity: 'critical' },
      annotations: { runbook_url: 'https://runbooks.example/high-cpu', summary: 'CPU above 90% for 5m' },
      runbook_url: 'https://runbooks.example/high-cpu',
      starts_at: '2026-11-22T08:44:34Z',
      receiver: 'gateway',
      group_key: '{}:{alertname="HighCPU", service="api"}',
      group_labels: { alertname: 'HighCPU', service: 'api' },
      external_url: 'http://vm:19093',
    },
    labels: { alertname: 'HighCPU', instance: 'host1:9100', service: 'api', severity: 'critical' },
  });
});

test('labels are the event labels by name, so a route on `team` sees them', () => {
  const r = parse(oneAlert({ labels: { alertname: 'DiskFull', team: 'storage', severity: 'warning' } }));
  assert.ok(r.ok);
  assert.deepEqual(r.value.events[0]!.labels, { alertname: 'DiskFull', team: 'storage', severity: 'warning' });
});

test('severity_map: the source\'s own words first, then the shared vocabulary', () => {
  const map = { p1: 'critical', high: 'warning' } as const;
  const words: [string, string | undefined][] = [['P1', 'critical'], ['High', 'warning'], ['warning', 'warning'], ['P7', undefined]];
  for (const [word, severity] of words) {
    const r = alertmanagerSource.parse(oneAlert({ labels: { alertname: 'A', severity: word } }), { source: 'prom', options, query: {}, severityMap: map });
    assert.ok(r.ok);
    assert.equal(r.value.events[0]!.severity, severity, word);
  }
});

test('an empty generatorURL gives no sourceUrl', () => {
  const r = parse(sample('webhook-v4-1-firing.json'));
  assert.ok(r.ok);
  assert.equal('sourceUrl' in r.value.events[1]!, false);
});

test('repeat notifications of the same alert produce identical events (nothing per-notification in them)', () => {
  const a = parse(sample('webhook-v4-1-firing.json'));
  const b = parse(sample('webhook-v4-2-firing.json'));
  assert.ok(a.ok && b.ok);
  assert.deepEqual(b.value.events[1], a.value.events[1]);
});

const oneAlert = (over: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
  version: '4',
  status: 'firing',
  alerts: [{ status: 'firing', labels: { alertname: 'DiskFull', instance: 'db1', severity: 'warn' }, annotations: {}, fingerprint: 'f1', ...over }],
  ...top,
});

const titles: [string, Record<string, unknown>, string][] = [
  ['summary wins', { annotations: { summary: 'Disk 95% full on db1' } }, 'Disk 95% full on db1'],
  ['alertname plus the other labels, severity left out', {}, 'DiskFull (instance=db1)'],
  ['only an alertname', { labels: { alertname: 'Watchdog' } }, 'Watchdog'],
  ['no alertname at all', { labels: { job: 'x' } }, 'Alert (job=x)'],
  ['blank summary falls back', { annotations: { summary: '  ' } }, 'DiskFull (instance=db1)'],
];
for (const [name, over, title] of titles) {
  test(`title: ${name}`, () => {
    const r = parse(oneAlert(over));
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.events[0]!.title, title);
  });
}

const severities: [string | undefined, string | undefined][] = [
  ['critical', 'critical'], ['page', 'critical'], ['error', 'error'], ['high', 'error'], ['warning', 'warning'],
  ['WARN', 'warning'], ['medium', 'warning'], ['info', 'info'], ['low', 'info'], ['none', 'info'], ['p7', undefined], [undefined, undefined],
];
for (const [label, severity] of severities) {
  test(`severity label ${label} → ${severity}`, () => {
    const labels: Record<string, string> = { alertname: 'A' };
    if (label !== undefined) labels.severity = label;
    const r = parse(oneAlert({ labels }));
    assert.ok(r.ok);
    const e = r.value.events[0]!;
    assert.equal(e.severity, severity);
    assert.equal(e.metadata.raw_severity, label !== undefined && severity === undefined ? label : undefined);
  });
}

test('severity_label option picks another label', () => {
  const r = parse(oneAlert({ labels: { alertname: 'A', priority: 'page', severity: 'info' } }), { severity_label: 'priority' });
  assert.ok(r.ok);
  assert.equal(r.value.events[0]!.severity, 'critical');
});

test('description joins the description annotation and the labels', () => {
  const r = parse(oneAlert({ annotations: { description: 'Only 5% left.' } }));
  assert.ok(r.ok);
  assert.equal(r.value.events[0]!.description, 'Only 5% left.\n\nLabels:\n- alertname: DiskFull\n- instance: db1\n- severity: warn');
});

test('newer and unknown fields are ignored; a missing version is accepted', () => {
  const body = oneAlert({ someFutureField: 1 }, { notification_reason: 'repeat', routeLabels: { team: 'x' }, truncatedAlerts: 3, version: undefined });
  const r = parse(body);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.value.events.length, 1);
});

const bad: [string, unknown, string, RegExp][] = [
  ['not an object', [1, 2], '(body)', /alerts array/],
  ['no alerts array', { version: '4', status: 'firing' }, 'alerts', /required/],
  ['alerts not an array', { alerts: {} }, 'alerts', /array/],
  ['empty alerts', { alerts: [] }, 'alerts', /empty/],
  ['alert without labels', oneAlert({ labels: undefined }), 'alerts[0].labels', /required/],
  ['label value not a string', oneAlert({ labels: { alertname: 3 } }), 'alerts[0].labels.alertname', /strings/],
  ['bad alert status', oneAlert({ status: 'pending' }), 'alerts[0].status', /firing/],
  ['other major version', oneAlert({}, { version: '5' }), 'version', /"5".*expected "4" \(Alertmanager\) or "1" \(Grafana\)/],
];
for (const [name, body, field, message] of bad) {
  test(`rejects ${name}`, () => {
    const r = parse(body);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.problems[0]!.field, field);
      assert.match(r.problems[0]!.message, message);
    }
  });
}

test('a bad alert among good ones is named by its index; nothing is accepted', () => {
  const body = oneAlert();
  body.alerts.push({ status: 'firing', labels: { alertname: 'B' }, annotations: {}, fingerprint: 'f2' } as any, { status: 'firing', fingerprint: 'f3' } as any);
  const r = parse(body);
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual(r.problems, [{ field: 'alerts[2].labels', message: 'required' }]);
});

test('a missing or empty fingerprint is the one Alertmanager would compute from the labels', () => {
  const labels = { alertname: 'HighCPU', instance: 'host1:9100', service: 'api', severity: 'critical' };
  for (const fingerprint of [undefined, '']) {
    const r = parse(oneAlert({ labels, fingerprint }));
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.events[0]!.dedupKey, '4cad96182c5f90ff'); // what Alertmanager sent for these labels (testdata)
  }
});

const storm = (n: number) => ({
  version: '4',
  status: 'firing',
  alerts: Array.from({ length: n }, (_, i) => ({ status: 'firing', labels: { alertname: 'KubePodNotReady', pod: `p-${i}` }, annotations: {}, fingerprint: `f${i}` })),
});

test(`a storm group of ${MAX_ALERTS_PER_NOTIFICATION} alerts is read whole`, () => {
  const r = parse(storm(MAX_ALERTS_PER_NOTIFICATION));
  assert.ok(r.ok);
  assert.equal(r.value.events.length, MAX_ALERTS_PER_NOTIFICATION);
  assert.equal(r.value.warnings, undefined);
});

test('past the bound, the first alerts are read and the rest reported, never the whole group refused', () => {
  const r = parse(storm(MAX_ALERTS_PER_NOTIFICATION + 3));
  assert.ok(r.ok);
  assert.equal(r.value.events.length, MAX_ALERTS_PER_NOTIFICATION);
  assert.equal(r.value.events.at(-1)!.dedupKey, `f${MAX_ALERTS_PER_NOTIFICATION - 1}`);
  assert.match(r.value.warnings![0]!, /^3 alerts beyond the first 50000 .*not read: set max_alerts/);
});

test('storm sizing: at least 10,000 alerts per group, and a body limit of its own that holds them', () => {
  assert.ok(MAX_ALERTS_PER_NOTIFICATION >= 10_000);
  assert.equal(alertmanagerSource.defaultBodyLimit, 32 * 1024 * 1024);
  // A kube-prometheus alert is ~1.1 KB in the body: 20,000 of them fit.
  assert.ok(alertmanagerSource.defaultBodyLimit! > 20_000 * 1_100);
});

test('a Grafana body (version "1") is read, not refused', () => {
  const r = parse(oneAlert({ silenceURL: 'https://grafana.example/alerting/silence/new', values: { B: 97.5 } }, { version: '1', orgId: 1 }));
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.value.events[0]!.metadata.org_id, 1);
  assert.deepEqual(r.value.events[0]!.metadata.values, { B: 97.5 });
});

test('options refuse unknown keys', () => {
  assert.equal(alertmanagerSource.options.safeParse({ severity_lable: 'x' }).success, false);
});

test('config: an alertmanager or grafana source takes 32 MiB unless told otherwise; other types keep the top-level limit', () => {
  const token = 'source-token-0123456789abcdef';
  const limits = (doc: Record<string, unknown>) =>
    Object.fromEntries([...buildConfig(doc, {}, '/tmp').sources.values()].map((s) => [s.name, s.bodyLimit]));
  const sources = { prom: { type: 'alertmanager', token }, graf: { type: 'grafana', token }, app: { type: 'alerts', token } };
  assert.deepEqual(limits({ sources }), { prom: 32 * 1024 * 1024, graf: 32 * 1024 * 1024, app: 1024 * 1024 });
  assert.equal(limits({ sources: { ...sources, prom: { ...sources.prom, body_limit: 2_000_000 } } }).prom, 2_000_000, 'its own body_limit wins');
  assert.deepEqual(limits({ body_limit: 64 * 1024 * 1024, sources }), { prom: 64 * 1024 * 1024, graf: 64 * 1024 * 1024, app: 64 * 1024 * 1024 }, 'a larger top-level limit applies');
});

describe('endsAt', () => {
  const at = Date.parse('2026-11-22T09:00:00Z');
  const withEnd = (endsAt: string | undefined, status = 'firing') => {
    const body = sample('webhook-v4-1-firing.json');
    body.alerts = [{ ...body.alerts[0], status, endsAt }];
    return body;
  };
  const parseAt = (body: unknown, receivedAt: number | undefined) =>
    alertmanagerSource.parse(body, { source: 'prom', options, query: {}, ...(receivedAt !== undefined ? { receivedAt } : {}) });

  test('"firing" with an endsAt already past at receipt is resolved, and the answer says so', () => {
    const r = parseAt(withEnd('2026-11-22T08:59:59Z'), at);
    assert.ok(r.ok);
    assert.equal(r.value.events[0]!.status, 'resolved');
    assert.match(r.value.warnings?.join(' ') ?? '', /1 alert\(s\) said "firing" but their endsAt had already passed/);
  });

  test("Alertmanager's zero time, a future endsAt, a missing or unparsable one: still firing, no warning", () => {
    for (const endsAt of ['0001-01-01T00:00:00Z', '2026-11-22T09:05:00Z', undefined, 'not a time', '1969-12-31T23:59:59Z']) {
      const r = parseAt(withEnd(endsAt), at);
      assert.ok(r.ok, String(endsAt));
      assert.equal(r.value.events[0]!.status, 'firing', String(endsAt));
      assert.equal(r.value.warnings, undefined, String(endsAt));
    }
  });

  test('without a time of receipt nothing is judged; a resolved alert stays resolved; endsAt stays out of metadata', () => {
    const stale = withEnd('2020-01-01T00:00:00Z');
    const r = parseAt(stale, undefined);
    assert.ok(r.ok);
    assert.equal(r.value.events[0]!.status, 'firing');
    assert.equal(JSON.stringify(r.value.events[0]!.metadata).includes('2020-01-01'), false);
    const resolved = parseAt(withEnd('2026-11-22T08:00:00Z', 'resolved'), at);
    assert.ok(resolved.ok);
    assert.equal(resolved.value.events[0]!.status, 'resolved');
    assert.equal(resolved.value.warnings, undefined);
  });

  test('an endsAt of null (hand-made bodies) is read as absent', () => {
    const r = parseAt(withEnd(null as unknown as undefined), at);
    assert.ok(r.ok);
    assert.equal(r.value.events[0]!.status, 'firing');
  });
});
