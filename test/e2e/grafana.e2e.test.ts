/**
 * Grafana's webhook contact point (unified alerting, `version: "1"`) through a real tocsin process to the incident.io
 * emulator: a `grafana` source routes on Grafana labels by name, a repeat with new query values sends nothing, the
 * resolve follows the alert; the "Test" button's notification is accepted but never left firing in incident.io; legacy
 * dashboard alerting is read too; and a Grafana body posted to an `alertmanager` source is read, not refused.
 * Bodies: src/sources/grafana/testdata.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, Emulator, ROOT, freePort, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const GRAFANA_TOKEN = 'grafana-contact-point-token-0123';
const AM_TOKEN = 'alertmanager-source-token-0123456';
const PAYMENTS = { id: '01GRAFANAPAYMENTS000000000A', token: 'payments-alert-source-token-0123456789' };
const GENERAL = { id: '01GRAFANAGENERAL0000000000B', token: 'general-alert-source-token-0123456789' };

const sample = (name: string): Record<string, any> => JSON.parse(readFileSync(join(ROOT, 'src/sources/grafana/testdata', name), 'utf8'));
const CHECKOUT = 'grafana:b69de869b57697cf';
const TEST_ALERT = 'grafana:57c6d9296de2ad39';

describe('Grafana webhook contact point → tocsin → incident.io (emulator)', () => {
  let emu: Emulator;
  let gw: TocsinProcess;
  const post = (source: string, token: string, body: unknown) => http('POST', `${gw.url}/ingest/${source}`, { token, body });
  const alertsIn = async (s: { id: string }, key: string) => (await emu.alerts()).filter((a) => a.alert_source_id === s.id && a.deduplication_key === key);
  const waitIn = (s: { id: string }, key: string, check: (a: any) => boolean, what: string) =>
    waitFor(`${key} ${what}`, async () => (await alertsIn(s, key)).find(check), 10_000, 100).catch((e: Error) => {
      throw new Error(`${e.message}\n${gw.output.slice(-15).join('\n')}`);
    });

  before(async () => {
    emu = await Emulator.start({ alertSources: [PAYMENTS, GENERAL], alertEventsPerMinute: 6_000 });
    const dir = tempDir();
    const port = await freePort();
    const destination = (s: { id: string; token: string }) => ({ type: 'incident_io_alert_source', alert_source_config_id: s.id, token: s.token, base_url: emu.url });
    gw = await startTocsin(
      writeConfig(dir, {
        listen: `127.0.0.1:${port}`,
        storage: { sqlite: `${dir}/tocsin.db` },
        admin_token: ADMIN_TOKEN,
        sources: { grafana: { type: 'grafana', token: GRAFANA_TOKEN }, am: { type: 'alertmanager', token: AM_TOKEN } },
        destinations: { payments: destination(PAYMENTS), general: destination(GENERAL) },
        routes: [{ match: { team: 'payments' }, to: 'payments' }, { to: 'general' }],
        delivery: { poll_interval: '100ms' },
      }),
      { port },
    );
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  test('a firing alert routes on its team label and arrives with its link, severity and Grafana fields', async () => {
    const r = await post('grafana', GRAFANA_TOKEN, sample('grafana11-firing.json'));
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.body, { results: [{ id: r.body.results[0].id, dedup_key: 'b69de869b57697cf', result: 'created' }] });
    const a = await waitIn(PAYMENTS, CHECKOUT, (x) => x.status === 'firing', 'firing in payments');
    assert.equal(a.title, 'Checkout p99 latency above 2 s');
    assert.equal(a.source_url, 'https://grafana.example.com/alerting/grafana/ce4k2m9xq1sf4b/view?orgId=1');
    assert.equal(a.metadata.severity, 'critical');
    assert.equal(a.metadata.labels.team, 'payments');
    assert.deepEqual(a.metadata.values, { A: 2.41, C: 1 });
    assert.match(a.metadata.panel_url, /viewPanel=4/);
    assert.match(a.metadata.silence_url, /alerting\/silence\/new/);
    assert.equal(a.metadata.org_id, 1);
    assert.deepEqual(await alertsIn(GENERAL, CHECKOUT), []);
  });

  test('the repeat notification (new values, later dashboard range) delivers nothing new', async () => {
    const r = await post('grafana', GRAFANA_TOKEN, sample('grafana11-firing-repeat.json'));
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.results[0].result, 'unchanged');
    assert.equal((await alertsIn(PAYMENTS, CHECKOUT))[0].events, 1);
  });

  test('the resolve reaches the destination the alert went to', async () => {
    const r = await post('grafana', GRAFANA_TOKEN, sample('grafana11-resolved.json'));
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.results[0].result, 'resolved');
    const a = await waitIn(PAYMENTS, CHECKOUT, (x) => x.status === 'resolved', 'resolved in payments');
    assert.equal(a.events, 2);
    assert.deepEqual(await alertsIn(GENERAL, CHECKOUT), []);
  });

  test("the contact point's Test button: accepted, recorded as fired and resolved, never left firing in incident.io", async () => {
    for (const clickedAt of [1741082292, 1741082350]) {
      const body = sample('grafana11-test-notification.json');
      body.groupKey = `webhook-57c6d9296de2ad39-${clickedAt}`;
      const r = await post('grafana', GRAFANA_TOKEN, body);
      assert.equal(r.status, 202, r.text);
      assert.deepEqual(
        r.body.results.map((x: any) => [x.dedup_key, x.result]),
        [
          ['57c6d9296de2ad39', 'created'],
          ['57c6d9296de2ad39', 'resolved'],
        ],
      );
      assert.match(r.body.warnings.join('\n'), /Grafana test notification.*test-connection/);
    }

    const id = (await post('grafana', GRAFANA_TOKEN, sample('grafana11-test-notification.json'))).body.results[0].id;
    const detail = await http('GET', `${gw.url}/api/v1/alerts/${id}`, { token: ADMIN_TOKEN });
    assert.equal(detail.body.alert.state, 'resolved', detail.text);
    assert.equal(detail.body.alert.metadata.test_notification, true);
    assert.ok(detail.body.deliveries.length >= 1);
    for (const d of detail.body.deliveries) assert.equal(d.status, 'skipped', `resolved before delivery: ${JSON.stringify(d)}`);

    // A real alert posted after the tests arrives; by then the test alert would have too, had it been sent.
    const later = sample('grafana11-firing.json');
    later.alerts[0].fingerprint = 'later000000000001';
    await post('grafana', GRAFANA_TOKEN, later);
    await waitIn(PAYMENTS, 'grafana:later000000000001', (x) => x.status === 'firing', 'firing in payments');
    const sent = (await emu.requests()).filter((x) => x.body?.deduplication_key === TEST_ALERT);
    assert.deepEqual(sent, [], 'nothing of the test notification reached incident.io');
  });

  test('legacy dashboard alerting (Grafana up to 10): the rule fires and resolves', async () => {
    const fired = await post('grafana', GRAFANA_TOKEN, sample('legacy-alerting.json'));
    assert.equal(fired.status, 202, fired.text);
    const a = await waitIn(GENERAL, 'grafana:legacy:1:27', (x) => x.status === 'firing', 'firing in general');
    assert.equal(a.title, 'Postgres disk usage');
    assert.equal(a.metadata.severity, 'critical');
    const ok = await post('grafana', GRAFANA_TOKEN, sample('legacy-ok.json'));
    assert.equal(ok.body.results[0].result, 'resolved', ok.text);
    await waitIn(GENERAL, 'grafana:legacy:1:27', (x) => x.status === 'resolved', 'resolved in general');
  });

  test('a Grafana body posted to an alertmanager source is read the same way, not refused', async () => {
    const r = await post('am', AM_TOKEN, sample('grafana9-nodata-firing.json'));
    assert.equal(r.status, 202, r.text);
    const a = await waitIn(PAYMENTS, 'am:6ea8311f14c45617', (x) => x.status === 'firing', 'firing in payments');
    assert.equal(a.title, 'Checkout latency p99: no data (team=payments)');
    assert.equal(a.metadata.labels.rulename, 'Checkout latency p99');
  });
});
