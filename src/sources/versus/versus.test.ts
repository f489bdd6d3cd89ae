import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AlertEvent } from '../../domain/alert.ts';
import { alertmanagerSource } from '../alertmanager/alertmanager.ts';
import { versusSource } from './versus.ts';

const configure = (raw: Record<string, unknown> = {}) => versusSource.options.parse(raw);
const parse = (body: unknown, raw: Record<string, unknown> = {}, query: Record<string, string> = {}) =>
  versusSource.parse(body, { source: 'versus', options: configure(raw), query });
const events = async (body: unknown, raw?: Record<string, unknown>): Promise<AlertEvent[]> => {
  const r = await parse(body, raw);
  assert.ok(r.ok, JSON.stringify(r));
  return r.value.events;
};
const amSample = (name: string) => JSON.parse(readFileSync(new URL(`../alertmanager/testdata/${name}`, import.meta.url), 'utf8'));

// ---- Alertmanager (real samples) -----------------------------------------------------------------------------------

for (const file of ['webhook-v4-1-firing.json', 'webhook-v4-2-firing.json', 'webhook-v4-3-resolved.json']) {
  test(`real Alertmanager ${file}: the same events as the alertmanager source`, async () => {
    const native = alertmanagerSource.parse(amSample(file), { source: 'versus', options: { severity_label: 'severity' }, query: {} });
    assert.ok(native.ok);
    assert.deepEqual(await events(amSample(file)), native.value.events);
  });
}

test('Alertmanager payload without fingerprints (as in Versus examples): the labels are the identity', async () => {
  const alert = { status: 'firing', labels: { alertname: 'PostgresqlDown', instance: 'postgresql-prod-01', severity: 'critical' }, annotations: { summary: 'Postgresql down' } };
  const firing = await events({ receiver: 'webhook-incident', status: 'firing', alerts: [alert] });
  const resolved = await events({ receiver: 'webhook-incident', status: 'resolved', alerts: [{ ...alert, status: 'resolved', labels: { severity: 'critical', instance: 'postgresql-prod-01', alertname: 'PostgresqlDown' } }] });
  assert.match(firing[0]!.dedupKey, /^labels:[0-9a-f]{32}$/);
  assert.equal(resolved[0]!.dedupKey, firing[0]!.dedupKey);
  assert.deepEqual([firing[0]!.status, resolved[0]!.status], ['firing', 'resolved']);
  assert.equal(firing[0]!.severity, 'critical');
});

test('expressions override the shape field by field, evaluated against each alert', async () => {
  const es = await events(amSample('webhook-v4-2-firing.json'), { title: 'labels.alertname & " on " & labels.instance', severity: '"warning"' });
  assert.deepEqual(es.map((e) => [e.title, e.severity, e.status]), [
    ['HighCPU on host1:9100', 'warning', 'resolved'],
    ['HighCPU on host2:9100', 'warning', 'firing'],
  ]);
});

// ---- Grafana, Sentry, CloudWatch: hand-written from the payloads their documentation shows ------------------------------

const grafana = {
  receiver: 'tocsin', status: 'firing', orgId: 1, version: '1', groupKey: '{}:{alertname="High latency"}', truncatedAlerts: 0,
  alerts: [{
    status: 'firing', labels: { alertname: 'High latency', grafana_folder: 'API', severity: 'warning' }, annotations: { summary: 'p99 above 2s' },
    startsAt: '2025-01-01T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: 'https://grafana.example/alerting/grafana/abc/view', fingerprint: 'd1a2b3c4e5f60718',
    silenceURL: 'https://grafana.example/alerting/silence/new', dashboardURL: 'https://grafana.example/d/x', panelURL: 'https://grafana.example/d/x?viewPanel=2', values: { B: 2.4 }, valueString: '[ var=B value=2.4 ]',
  }],
  groupLabels: { alertname: 'High latency' }, commonLabels: {}, commonAnnotations: {}, externalURL: 'https://grafana.example/', title: '[FIRING:1] High latency', state: 'alerting', message: '...',
};

test('Grafana unified alerting: fingerprint, rule link, panel link kept, values left out', async () => {
  const [e] = await events(grafana);
  assert.equal(e!.dedupKey, 'd1a2b3c4e5f60718');
  assert.equal(e!.title, 'p99 above 2s');
  assert.equal(e!.severity, 'warning');
  assert.equal(e!.sourceUrl, 'https://grafana.example/alerting/grafana/abc/view');
  assert.equal(e!.metadata.panel_url, 'https://grafana.example/d/x?viewPanel=2');
  assert.equal(e!.metadata.org_id, 1);
  assert.equal('values' in e!.metadata, false);
  const [resolved] = await events({ ...grafana, status: 'resolved', alerts: [{ ...grafana.alerts[0], status: 'resolved', generatorURL: '' }] });
  assert.equal(resolved!.status, 'resolved');
  assert.equal(resolved!.sourceUrl, 'https://grafana.example/d/x?viewPanel=2');
});

const sentryIssueAlert = {
  action: 'triggered',
  actor: { id: 'sentry', name: 'Sentry', type: 'application' },
  data: {
    event: { event_id: 'e4874d664c3540c1a32eab185f12c5ab', issue_id: '1117540176', issue_url: 'https://sentry.io/api/0/issues/1117540176/', title: 'ReferenceError: heck is not defined', culprit: '?(<anonymous>)', level: 'error', web_url: 'https://sentry.io/organizations/acme/issues/1117540176/events/e4874d66/', project: 1, metadata: { type: 'ReferenceError', value: 'heck is not defined' } },
    triggered_rule: 'Send a notification for new issues',
  },
};
const sentryIssueResolved = {
  action: 'resolved',
  data: { issue: { id: '1117540176', shortId: 'FRONT-1', title: 'ReferenceError: heck is not defined', status: 'resolved', level: 'error', culprit: '?(<anonymous>)', web_url: 'https://sentry.io/organizations/acme/issues/1117540176/', project: { slug: 'front' } } },
};
const sentryMetric = (action: string) => ({
  action,
  data: { description_title: `${action === 'resolved' ? 'Resolved' : 'Critical'}: Too many errors`, description_text: '1000 events in the last 10 minutes', web_url: 'https://sentry.io/organizations/acme/alerts/rules/details/7/', metric_alert: { id: '42', alert_rule: { id: '7', name: 'Too many errors', aggregate: 'count()', query: 'level:error' } } },
});

test('Sentry: an issue alert fires, the issue webhook resolving it resolves the same alert', async () => {
  const [fired] = await events(sentryIssueAlert);
  const [resolved] = await events(sentryIssueResolved);
  assert.deepEqual([fired!.dedupKey, fired!.status, fired!.severity, fired!.title], ['sentry:issue:1117540176', 'firing', 'error', 'ReferenceError: heck is not defined']);
  assert.equal(fired!.description, 'ReferenceError: heck is not defined\nin ?(<anonymous>)');
  assert.equal(fired!.metadata.triggered_rule, 'Send a notification for new issues');
  assert.deepEqual([resolved!.dedupKey, resolved!.status], ['sentry:issue:1117540176', 'resolved']);
});

test('Sentry metric alerts: keyed by rule, critical/warning severities, resolved resolves', async () => {
  const [c] = await events(sentryMetric('critical'));
  const [w] = await events(sentryMetric('warning'));
  const [r] = await events(sentryMetric('resolved'));
  assert.deepEqual([c!.dedupKey, c!.status, c!.severity, c!.title], ['sentry:metric_alert:7', 'firing', 'critical', 'Too many errors']);
  assert.equal(w!.severity, 'warning');
  assert.deepEqual([r!.dedupKey, r!.status], ['sentry:metric_alert:7', 'resolved']);
});

const alarm = (state: string) => ({
  AlarmName: 'RDS_CPU_High', AlarmDescription: 'RDS CPU utilization over 80%', AWSAccountId: '123456789012', NewStateValue: state,
  NewStateReason: 'Threshold Crossed: 1 datapoint [91.2] was greater than the threshold (80.0).', StateChangeTime: '2025-01-01T10:00:00.000+0000',
  Region: 'US East (N. Virginia)', AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:RDS_CPU_High', OldStateValue: 'OK',
  Trigger: { MetricName: 'CPUUtilization', Namespace: 'AWS/RDS', Dimensions: [{ name: 'DBInstanceIdentifier', value: 'my-rds-instance' }] },
});
const sns = (message: unknown, type = 'Notification') => ({
  Type: type, MessageId: 'b2a1', TopicArn: 'arn:aws:sns:us-east-1:123456789012:RDS-CPU-Alarm-Topic', Subject: 'ALARM: "RDS_CPU_High"',
  Message: typeof message === 'string' ? message : JSON.stringify(message), Timestamp: '2025-01-01T10:00:00.000Z', SignatureVersion: '1', Signature: 'x',
  SigningCertURL: 'https://sns.us-east-1.amazonaws.com/x.pem', UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
});

test('CloudWatch via SNS: ALARM fires, OK resolves the same alarm, keyed by its ARN', async () => {
  const [fired] = await events(sns(alarm('ALARM')));
  const [ok] = await events(sns(alarm('OK')));
  assert.equal(fired!.dedupKey, 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:RDS_CPU_High');
  assert.deepEqual([fired!.status, ok!.status, ok!.dedupKey], ['firing', 'resolved', fired!.dedupKey]);
  assert.equal(fired!.title, 'RDS_CPU_High');
  assert.equal(fired!.sourceUrl, 'https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/RDS_CPU_High');
  assert.match(fired!.description!, /over 80%\n\nThreshold Crossed/);
  assert.equal(fired!.metadata.region, 'us-east-1');
});

test('CloudWatch INSUFFICIENT_DATA changes nothing unless configured', async () => {
  assert.deepEqual(await events(sns(alarm('INSUFFICIENT_DATA'))), []);
  const [e] = await events(sns(alarm('INSUFFICIENT_DATA')), { cloudwatch_insufficient_data: 'firing' });
  assert.equal(e!.status, 'firing');
});

test('a CloudWatch alarm posted directly, without SNS', async () => {
  const [e] = await events(alarm('ALARM'));
  assert.equal(e!.status, 'firing');
});

test('an SNS notification with a plain-text message is a generic alert titled by its subject', async () => {
  const [e] = await events(sns('disk almost full on build-3'));
  assert.equal(e!.title, 'ALARM: "RDS_CPU_High"');
  assert.equal(e!.description, 'disk almost full on build-3');
});

// ---- anything else ---------------------------------------------------------------------------------------------------

const generic: [string, unknown, Partial<AlertEvent>][] = [
  ['title and id', { title: 'Queue backlog', id: 17, severity: 'high' }, { title: 'Queue backlog', dedupKey: '17', status: 'firing', severity: 'error' }],
  ['name, state OK resolves', { name: 'Queue backlog', state: 'OK' }, { status: 'resolved' }],
  ['summary, alertState normal resolves', { summary: 'Queue backlog', alertState: 'normal' }, { status: 'resolved' }],
  ['message is the title when nothing else is', { message: 'Queue backlog', status: 'Resolved' }, { title: 'Queue backlog', status: 'resolved' }],
  ['fingerprint', { title: 't', fingerprint: 'fp-1', url: 'https://x.example/1' }, { dedupKey: 'fp-1', sourceUrl: 'https://x.example/1' }],
  ['unknown status words fire', { title: 't', status: 'degraded' }, { status: 'firing' }],
];
for (const [name, body, expected] of generic) {
  test(`unknown shape: ${name}`, async () => {
    const [e] = await events(body);
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(e![k as keyof AlertEvent], v, k);
  });
}

test('unknown shape without an id: the key is a hash of the title, the same every time', async () => {
  const [a] = await events({ title: 'Queue backlog', at: 1 });
  const [b] = await events({ title: 'Queue backlog', at: 2, status: 'resolved' });
  assert.match(a!.dedupKey, /^title:[0-9a-f]{32}$/);
  assert.equal(b!.dedupKey, a!.dedupKey);
});

test('a FluentBit-style array with a title expression: one alert per record', async () => {
  const body = [{ Logs: '[ERROR] pool exhausted', ServiceName: 'orders' }, { Logs: '[ERROR] timeout', ServiceName: 'payments' }];
  const es = await events(body, { title: "ServiceName & ': ' & Logs", dedup_key: 'ServiceName' });
  assert.deepEqual(es.map((e) => [e.dedupKey, e.title]), [['orders', 'orders: [ERROR] pool exhausted'], ['payments', 'payments: [ERROR] timeout']]);
});

// ---- destinations by name --------------------------------------------------------------------------------------------

// A name is passed on (the ingest service checks it is configured); anything else is ignored with a warning: never a 400.
const destinations: [string, Record<string, string>, string | undefined, RegExp | undefined][] = [
  ['?destination=name', { destination: 'infra' }, 'infra', undefined],
  ["Versus' ?incidentio_other_alert_source=name", { incidentio_other_alert_source: 'db-oncall' }, 'db-oncall', undefined],
  ['both, agreeing', { destination: 'infra', incidentio_other_alert_source: 'infra' }, 'infra', undefined],
  ['a ULID', { incidentio_other_alert_source: '01GW2G3V0S59R238FAHPDS1R66' }, undefined, /^incidentio_other_alert_source looks like an incident\.io ID, ignored: routed by the routes instead\. Only configured destination names/],
  ['a URL', { destination: 'https://api.incident.io/v2/alert_events/http/01GW2G3V0S59R238FAHPDS1R66' }, undefined, /^destination looks like a URL, ignored/],
  ['a path', { destination: 'a/b' }, undefined, /URL/],
  ['not a name', { destination: 'infra team' }, undefined, /^destination is not a destination name, ignored/],
  ['both, disagreeing', { destination: 'infra', incidentio_other_alert_source: 'app' }, undefined, /name different destinations, both ignored/],
];
for (const [name, query, expected, warning] of destinations) {
  test(`destination: ${name}`, async () => {
    const r = await parse({ title: 't' }, {}, query);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.destination, expected);
    assert.equal(r.value.events.length, 1);
    if (warning) {
      assert.equal(r.value.warnings?.length, 1);
      assert.match(r.value.warnings![0]!, warning);
      assert.ok(!r.value.warnings![0]!.includes('01GW2G3V0S59R238FAHPDS1R66'), 'the value is not echoed');
    } else assert.equal(r.value.warnings, undefined);
  });
}

test('no destination parameter: none chosen', async () => {
  const r = await parse({ title: 't' });
  assert.ok(r.ok);
  assert.equal('destination' in r.value, false);
});

// ---- oncall_enable -----------------------------------------------------------------------------------------------------

const oncall: [string, string, boolean | undefined, RegExp | undefined][] = [
  ['false', 'false', false, undefined],
  ['true', 'true', true, undefined],
  ['0', '0', false, undefined],
  ['something else', 'maybe', undefined, /^oncall_enable is neither true nor false: ignored$/],
];
for (const [name, value, expected, warning] of oncall) {
  test(`?oncall_enable=${name} is kept on every alert of the request`, async () => {
    const r = await parse([{ title: 'a' }, { title: 'b' }], {}, { oncall_enable: value });
    assert.ok(r.ok);
    assert.deepEqual(r.value.events.map((e) => e.metadata.oncall_enable), [expected, expected]);
    if (warning) assert.match(r.value.warnings![0]!, warning);
  });
}

const waits: [string, number | undefined, RegExp | undefined][] = [
  ['0', 0, undefined],
  ['15', 15, undefined],
  ['0.5', 0.5, undefined],
  ['-1', undefined, /^oncall_wait_minutes must be a number of minutes from 0 to 10080: ignored/],
  ['soon', undefined, /^oncall_wait_minutes must be/],
  ['99999', undefined, /^oncall_wait_minutes must be/],
];
for (const [value, expected, warning] of waits) {
  test(`?oncall_wait_minutes=${value} is kept on every alert of the request, or ignored with a warning`, async () => {
    const r = await parse([{ title: 'a' }, { title: 'b' }], {}, { oncall_wait_minutes: value });
    assert.ok(r.ok);
    assert.deepEqual(r.value.events.map((e) => e.metadata.oncall_wait_minutes), [expected, expected]);
    if (warning) assert.match(r.value.warnings![0]!, warning);
    else assert.equal(r.value.warnings, undefined);
  });
}

// ---- what is refused, and what no longer is --------------------------------------------------------------------------

const bad: [string, unknown, string, RegExp][] = [
  ['a string body', 'hello', '(body)', /object or an array/],
  ['an SNS subscription confirmation', { ...sns('You have chosen to subscribe', 'SubscriptionConfirmation'), SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t' }, 'Type', /subscription confirmation.*ConfirmSubscription/],
];
for (const [name, body, field, message] of bad) {
  test(`rejects ${name}`, async () => {
    const r = await parse(body);
    assert.equal(r.ok, false, JSON.stringify(r));
    if (!r.ok) {
      assert.equal(r.problems[0]!.field, field);
      assert.match(r.problems[0]!.message, message);
    }
  });
}

// An expression that does not fit one payload keeps what the shape says, and says so.
const kept: [string, unknown, Record<string, unknown>, Partial<AlertEvent>, RegExp | undefined][] = [
  ['no title anywhere: derived', { ServiceName: 'orders', Logs: 'x' }, {}, { title: 'orders: x' }, undefined],
  ['an empty array: nothing to do', [], {}, {}, /^the array is empty: no alerts in it$/],
  ['a status expression with an unknown word', { title: 't', s: 'maybe' }, { status: 's' }, { status: 'firing' }, /^status: expression "s" returned "maybe", expected firing or resolved; kept firing$/],
  ['an expression failing at runtime', { title: 't' }, { title: '$number(title)' }, { title: 't' }, /^title: expression "\$number\(title\)" failed: .*; kept what the payload says$/],
  ['an expression yielding an object', amSample('webhook-v4-1-firing.json'), { title: 'labels' }, { title: 'CPU above 90% for 5m' }, /^alerts\[0\], alerts\[1\]: title: expression "labels" returned an object/],
];
for (const [name, body, raw, expected, warning] of kept) {
  test(`accepts ${name}`, async () => {
    const r = await parse(body, raw);
    assert.ok(r.ok, JSON.stringify(r));
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(r.value.events[0]![k as keyof AlertEvent], v, k);
    if (warning) assert.match(r.value.warnings![0]!, warning);
    else assert.equal(r.value.warnings, undefined);
  });
}

test('more than 1000 alerts is refused', async () => {
  const r = await parse(Array.from({ length: 1001 }, (_, i) => ({ title: `t${i}` })));
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.problems[0]!.message, /at most 1000 alerts per request, got 1001/);
});

test('options: expressions are compiled at load, unknown keys refused', () => {
  const bad1 = versusSource.options.safeParse({ title: 'labels.(' });
  assert.equal(bad1.success, false);
  if (!bad1.success) {
    assert.deepEqual(bad1.error.issues[0]!.path, ['title']);
    assert.match(bad1.error.issues[0]!.message, /invalid jsonata expression "labels\.\("/);
  }
  assert.equal(versusSource.options.safeParse({ severity_label: 'x' }).success, false);
  assert.equal(versusSource.options.safeParse({ cloudwatch_insufficient_data: 'maybe' }).success, false);
});
