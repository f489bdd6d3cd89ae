import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, ROOT, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

// §3 "No real payload is refused": every body Versus Incident's docs show, native alerts with words tocsin does not
// know, and a webhook mapping that does not fit, posted over real HTTP to a running tocsin delivering to the emulator.
const VERSUS_TOKEN = 'versus-source-token-012345678';
const SHOP_TOKEN = 'webhook-source-token-01234567';
const body = (name: string) => JSON.parse(readFileSync(join(ROOT, 'src/sources/versus/testdata', name), 'utf8'));

describe('no real payload is refused (gateway + emulator)', () => {
  let emu: Emulator;
  let gw: TocsinProcess;

  const post = (path: string, b: unknown, token = VERSUS_TOKEN) => http('POST', `${gw.url}${path}`, { token, body: b });
  const inEmulator = (source: string, key: string, status = 'firing') =>
    waitFor(`${source}:${key} ${status} in incident.io`, async () => (await emu.alerts()).find((a) => a.deduplication_key === `${source}:${key}` && a.status === status));
  const stored = async (id: string) => (await http('GET', `${gw.url}/api/v1/alerts/${id}`, { token: ADMIN_TOKEN })).body.alert;

  before(async () => {
    emu = await Emulator.start();
    const dir = tempDir();
    const port = await freePort();
    const sources = {
      app: { type: 'alerts', token: APP_TOKEN, severity_map: { P1: 'critical', SEV2: 'error' } },
      versus: { type: 'versus', token: VERSUS_TOKEN },
      shop: { type: 'webhook', token: SHOP_TOKEN, title: 'check & " is down"', dedup_key: 'check', severity: 'level' },
    };
    gw = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { sources, delivery: { poll_interval: '100ms' } })), { port });
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  const documented: [string, string][] = [
    ['alertmanager-group.json', ''],
    ['sentry-issue-created.json', ''],
    ['custom-json.json', ''],
    ['custom-json-query-overrides.json', '?slack_channel_id=C01DB2ISSUES&oncall_enable=false'],
    ['fluent-bit-kubernetes-record.json', ''],
    ['fluent-bit-modify-record.json', ''],
    ['fluent-bit-json-array.json', ''],
    ['sns-custom-json.json', ''],
    ['sns-cloudwatch-alarm.json', ''],
    ['kibana-rule.json', ''],
    ['grafana-unified.json', ''],
  ];

  test("each of the eleven bodies in Versus Incident's docs: 202 at /api/incidents, and its alerts reach incident.io", async () => {
    for (const [file, query] of documented) {
      const r = await post(`/api/incidents${query}`, body(file));
      assert.equal(r.status, 202, `${file}: ${r.text}`);
      assert.equal(r.body.warnings, undefined, `${file}: ${r.text}`);
      assert.ok(r.body.results.length >= 1, file);
      for (const result of r.body.results) {
        const alert = await inEmulator('versus', result.dedup_key);
        assert.ok(alert.title.length > 0, file);
      }
    }
    // Versus' ?oncall_enable=false is kept on the alert, for routes now and escalation later.
    const r = await post('/api/incidents?oncall_enable=false', body('custom-json-query-overrides.json'));
    const alert = await inEmulator('versus', r.body.results[0].dedup_key);
    assert.equal(alert.metadata.oncall_enable, false);
  });

  test('Fluent Bit: the same error record again with a new timestamp is one alert, sent once', async () => {
    const rec = body('fluent-bit-kubernetes-record.json');
    rec.kubernetes.namespace_name = 'e2e-repeat';
    const first = await post('/ingest/versus', rec);
    assert.equal(first.status, 202, first.text);
    assert.equal(first.body.results[0].result, 'created');
    const key = first.body.results[0].dedup_key as string;
    await inEmulator('versus', key);

    const again = await post('/ingest/versus', { ...rec, date: rec.date + 120, time: '2025-03-13T22:12:22.000001Z' });
    assert.equal(again.status, 202, again.text);
    assert.deepEqual([again.body.results[0].dedup_key, again.body.results[0].result], [key, 'unchanged']);

    // The next occurrence of the error (another request id, another pod) updates the same alert.
    const next = await post('/ingest/versus', {
      ...rec,
      date: rec.date + 300,
      log: rec.log.replace('req-8c21f0aa', 'req-11aa22bb'),
      kubernetes: { ...rec.kubernetes, pod_name: 'profile-api-7d9c6b5f4c-zz9xq', pod_id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' },
    });
    assert.deepEqual([next.body.results[0].dedup_key, next.body.results[0].result], [key, 'updated']);
    await waitFor('the update to be delivered', async () => (await emu.requests()).filter((q) => q.body?.deduplication_key === `versus:${key}`).length === 2);
    await new Promise((res) => setTimeout(res, 400));
    assert.equal((await emu.alerts()).filter((a) => a.deduplication_key === `versus:${key}`).length, 1);
    assert.equal((await emu.requests()).filter((q) => q.body?.deduplication_key === `versus:${key}`).length, 2, 'created + updated; the timestamp-only repeat sent nothing');
  });

  test('a destination that is not configured, or a raw incident.io ID, is a warning in the 202: the alert is routed', async () => {
    const unknown = await post('/api/incidents?incidentio_other_alert_source=db-oncall', { Logs: '[ERROR] deadlock detected', ServiceName: 'ledger' });
    assert.equal(unknown.status, 202, unknown.text);
    assert.match(unknown.body.warnings.join('\n'), /unknown destination "db-oncall" ignored: routed by the routes instead \(configured destinations: oncall\)/);
    await inEmulator('versus', unknown.body.results[0].dedup_key);

    const id = '01GW2G3V0S59R238FAHPDS1R66';
    const raw = await post(`/api/incidents?destination=${id}`, { Logs: '[ERROR] disk full', ServiceName: 'ledger' });
    assert.equal(raw.status, 202, raw.text);
    assert.match(raw.body.warnings[0], /^destination looks like an incident\.io ID, ignored: routed by the routes instead/);
    assert.ok(!raw.text.includes(id), 'the ID is not echoed');
    await inEmulator('versus', raw.body.results[0].dedup_key);

    const named = await post('/api/incidents?incidentio_other_alert_source=oncall', { Logs: '[ERROR] cache miss storm', ServiceName: 'ledger' });
    assert.equal(named.status, 202);
    assert.equal(named.body.warnings, undefined);
    const metrics = (await http('GET', `${gw.url}/metrics`)).text;
    assert.match(metrics, /tocsin_unknown_destination_total\{source="versus"\} 1/);
  });

  test('native alerts: an unknown field and a severity word outside the four are accepted and reported', async () => {
    const r = await post('/ingest/app', [
      { title: 'Orders API 5xx above 2%', dedup_key: 'orders-5xx-e2e', severity: 'P1', team: 'payments' },
      { title: 'Search latency high', dedup_key: 'search-latency-e2e', severity: 'urgent' },
    ], APP_TOKEN);
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.body.warnings, [
      '[0]: unknown field(s) team: kept in metadata',
      `[1]: severity "urgent" is not one of critical, error, warning, info (add it to the source's severity_map): left unset, kept as metadata.raw_severity`,
    ]);
    const orders = await inEmulator('app', 'orders-5xx-e2e');
    assert.equal(orders.metadata.team, 'payments');
    const search = await inEmulator('app', 'search-latency-e2e');
    assert.equal(search.metadata.raw_severity, 'urgent');
    const [a, b] = await Promise.all(r.body.results.map((x: { id: string }) => stored(x.id)));
    assert.deepEqual([a.severity, b.severity], ['critical', null]);

    const bad = await post('/ingest/app', { status: 'firing', metadata: { team: 'x' } }, APP_TOKEN);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.details.problems, [{ field: 'title', message: 'required (and there is no description or dedup_key to take one from)' }]);
  });

  test('webhook: a payload the mapping does not fit still pages, with a warning', async () => {
    const r = await post('/ingest/shop', { service: 'checkout', message: 'health probe failed 3 times', level: 'SEV1' }, SHOP_TOKEN);
    assert.equal(r.status, 202, r.text);
    assert.match(r.body.warnings.join('\n'), /dedup_key: expression "check" gave nothing: identity derived from the payload's stable fields/);
    const alert = await inEmulator('shop', r.body.results[0].dedup_key);
    assert.equal(alert.title, 'is down');
  });
});
