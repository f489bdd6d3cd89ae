import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AlertEvent, Severity } from '../../domain/alert.ts';
import { versusSource } from './versus.ts';

// Every body Versus Incident's own docs tell users to send (testdata/README.md), each accepted and read.
const body = (name: string) => JSON.parse(readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8'));
const parse = (b: unknown, query: Record<string, string> = {}, severityMap?: Record<string, Severity>) =>
  versusSource.parse(b, { source: 'versus', options: versusSource.options.parse({}), query, ...(severityMap ? { severityMap } : {}) });
const events = async (b: unknown, query: Record<string, string> = {}): Promise<AlertEvent[]> => {
  const r = await parse(b, query);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.value.warnings, undefined, 'a documented body needs no warning');
  return r.value.events;
};

const AUTO = /^auto:[0-9a-f]{32}$/;
const documented: [string, Record<string, string>, Partial<Record<keyof AlertEvent, unknown>>[]][] = [
  ['alertmanager-group.json', {}, [{ title: 'MySQL replication stopped (instance mysql-replica-02)', severity: 'critical', status: 'firing', dedupKey: /^labels:/ }]],
  ['sentry-issue-created.json', {}, [{ title: "TypeError: cannot read properties of undefined (reading 'total')", dedupKey: 'sentry:issue:4205511', severity: 'error' }]],
  ['custom-json.json', {}, [{ title: 'payment-service: [ERROR] payment gateway timed out after 30000 ms (attempt 3)', dedupKey: AUTO, status: 'firing' }]],
  ['custom-json-query-overrides.json', { slack_channel_id: 'C01DB2ISSUES', oncall_enable: 'false' }, [{ title: 'analytics-db: [ERROR] replica lag on analytics-db exceeds 900 s', dedupKey: AUTO }]],
  ['fluent-bit-kubernetes-record.json', {}, [{ title: 'profile-api: ERROR: unhandled exception while serving request id=req-8c21f0aa', dedupKey: AUTO, volatile: ['date', 'time'] }]],
  ['fluent-bit-modify-record.json', {}, [{ title: 'order-service: [2025/03/13 22:11:51] [ ERROR ] order 88412 rejected: inventory service unavailable', dedupKey: AUTO }]],
  ['fluent-bit-json-array.json', {}, [
    { title: 'billing-worker: 2025-03-13T22:13:21Z ERROR db pool exhausted (32/32 connections busy)', severity: 'error' },
    { title: 'billing-worker: 2025-03-13T22:13:21Z WARN retrying job 5521 in 4s', severity: 'warning' },
    { title: 'billing-worker: 2025-03-13T22:13:22Z ERROR db pool exhausted (32/32 connections busy)', severity: 'error' },
  ]],
  ['sns-custom-json.json', {}, [{ title: 'report-builder: [ERROR] export to S3 failed: AccessDenied', dedupKey: AUTO }]],
  ['sns-cloudwatch-alarm.json', {}, [{ title: 'orders-db-cpu-high', dedupKey: 'arn:aws:cloudwatch:eu-west-1:210987654321:alarm:orders-db-cpu-high', status: 'firing' }]],
  ['kibana-rule.json', {}, [{ title: 'Checkout 5xx rate', status: 'firing', sourceUrl: 'https://kibana.example.com/app/management/insightsAndAlerting/rules/7c1e4b2a', dedupKey: /^title:/ }]],
  ['grafana-unified.json', {}, [{ title: 'emails queue lag above 5 minutes', dedupKey: '5a7d1c3e9b2f4d60', severity: 'warning' }]],
];

test('eleven documented bodies', () => assert.equal(documented.length, 11));

for (const [file, query, expected] of documented) {
  test(`documented Versus body ${file}: accepted and read`, async () => {
    const es = await events(body(file), query);
    assert.equal(es.length, expected.length);
    es.forEach((e, i) => {
      for (const [k, v] of Object.entries(expected[i]!)) {
        if (v instanceof RegExp) assert.match(String(e[k as keyof AlertEvent]), v, k);
        else assert.deepEqual(e[k as keyof AlertEvent], v, k);
      }
      assert.ok(e.title.length > 0 && e.title.length <= 500);
    });
  });
}

test('the custom JSON keeps every field the sender gave in metadata; ?oncall_enable=false is recorded', async () => {
  const [plain] = await events(body('custom-json.json'));
  assert.deepEqual(plain!.metadata, body('custom-json.json'));
  assert.equal(plain!.description, '[ERROR] payment gateway timed out after 30000 ms (attempt 3)');
  const [overridden] = await events(body('custom-json-query-overrides.json'), { oncall_enable: 'false' });
  assert.equal(overridden!.metadata.oncall_enable, false);
});

// ---- Fluent Bit: the same error again is the same alert ----------------------------------------------------------------

const k8s = body('fluent-bit-kubernetes-record.json');
const keyOf = async (b: unknown) => (await events(b))[0]!.dedupKey;

test('Fluent Bit: a repeat with a new date and time is the same alert', async () => {
  assert.equal(await keyOf({ ...k8s, date: k8s.date + 60, time: '2025-03-13T22:11:22.000001Z' }), await keyOf(k8s));
});

test('Fluent Bit: a new request id, line number or pod (a restart, another replica) is the same alert', async () => {
  const again = {
    ...k8s,
    log: k8s.log.replace('req-8c21f0aa', 'req-0d93b7c1').replace('line 88', 'line 91'),
    kubernetes: { ...k8s.kubernetes, pod_name: 'profile-api-6b8f7d9c5d-mxw4t', pod_id: '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a', host: 'ip-10-20-7-12.eu-west-1.compute.internal', docker_id: 'ab'.repeat(32), container_image: 'registry.example.com/profile-api:1.15.0', labels: { ...k8s.kubernetes.labels, 'pod-template-hash': '6b8f7d9c5d' } },
  };
  assert.equal(await keyOf(again), await keyOf(k8s));
});

test('Fluent Bit: another error, another namespace or another container is another alert', async () => {
  const base = await keyOf(k8s);
  assert.notEqual(await keyOf({ ...k8s, log: k8s.log.replace("KeyError: 'user_id'", 'ZeroDivisionError: division by zero') }), base);
  assert.notEqual(await keyOf({ ...k8s, kubernetes: { ...k8s.kubernetes, namespace_name: 'staging' } }), base);
  assert.notEqual(await keyOf({ ...k8s, kubernetes: { ...k8s.kubernetes, container_name: 'sidecar' } }), base);
});

test('Fluent Bit: a repeat changes only volatile metadata, so it is no update', async () => {
  const [a] = await events(k8s);
  const [b] = await events({ ...k8s, date: k8s.date + 5, time: '2025-03-13T22:10:27Z' });
  assert.deepEqual(a!.volatile, ['date', 'time']);
  const { date: _d1, time: _t1, ...restA } = a!.metadata;
  const { date: _d2, time: _t2, ...restB } = b!.metadata;
  assert.deepEqual(restA, restB);
});

test('Fluent Bit array: the two records of one error are one alert, the warning another', async () => {
  const es = await events(body('fluent-bit-json-array.json'));
  assert.equal(es[0]!.dedupKey, es[2]!.dedupKey);
  assert.notEqual(es[0]!.dedupKey, es[1]!.dedupKey);
});

test('the modify-filter record: the timestamp inside the line does not split the alert', async () => {
  const rec = body('fluent-bit-modify-record.json');
  const later = { ...rec, date: rec.date + 3600, Logs: rec.Logs.replace('22:11:51', '23:11:51').replace('88412', '88977') };
  assert.equal(await keyOf(later), await keyOf(rec));
  assert.notEqual(await keyOf({ ...rec, ServiceName: 'cart-service' }), await keyOf(rec));
});

test('custom JSON: the same log from the same service is one alert; a resolve with status finds it', async () => {
  const c = body('custom-json.json');
  const [fired] = await events(c);
  const [resolved] = await events({ ...c, status: 'resolved' });
  assert.deepEqual([resolved!.dedupKey, resolved!.status], [fired!.dedupKey, 'resolved']);
  assert.notEqual(await keyOf({ ...c, ServiceName: 'ledger-service' }), fired!.dedupKey);
});

// ---- severity_map in every shape -------------------------------------------------------------------------------------

test('severity_map is consulted first in every shape', async () => {
  const map: Record<string, Severity> = { p1: 'critical', warning: 'critical', error: 'critical' };
  const am = body('alertmanager-group.json');
  am.alerts[0].labels.severity = 'P1';
  const cases: [unknown, Severity][] = [[am, 'critical'], [body('grafana-unified.json'), 'critical'], [body('sentry-issue-created.json'), 'critical'], [{ title: 't', priority: 'P1' }, 'critical']];
  for (const [b, severity] of cases) {
    const r = await parse(b, {}, map);
    assert.ok(r.ok);
    assert.equal(r.value.events[0]!.severity, severity, JSON.stringify(b).slice(0, 60));
    assert.equal(r.value.events[0]!.metadata.raw_severity, undefined);
  }
  const unmapped = await parse({ title: 't', priority: 'P1' });
  assert.ok(unmapped.ok);
  assert.deepEqual([unmapped.value.events[0]!.severity, unmapped.value.events[0]!.metadata.raw_severity], [undefined, 'P1']);
});

test('severity_map applies to a severity expression too', async () => {
  const r = await versusSource.parse({ title: 't', p: 'SEV1' }, { source: 'versus', options: versusSource.options.parse({ severity: 'p' }), query: {}, severityMap: { sev1: 'critical' } });
  assert.ok(r.ok);
  assert.equal(r.value.events[0]!.severity, 'critical');
});

// ---- alerts stored by earlier versions are still found --------------------------------------------------------------

test('a message-only payload keeps its old key as an alias', async () => {
  const [e] = await events({ message: 'Queue backlog', service: 'mailer' });
  assert.match(e!.dedupKey, AUTO);
  assert.equal(e!.aliases?.length, 1);
  assert.match(e!.aliases![0]!, /^title:[0-9a-f]{32}$/);
});

test('a title expression over a payload without id or title: the old title key is an alias', async () => {
  const r = await versusSource.parse({ Logs: 'x', ServiceName: 'orders' }, { source: 'versus', options: versusSource.options.parse({ title: "ServiceName & ': ' & Logs" }), query: {} });
  assert.ok(r.ok);
  const e = r.value.events[0]!;
  assert.equal(e.title, 'orders: x');
  assert.match(e.dedupKey, AUTO);
  assert.equal(e.aliases?.length, 1);
});
