/**
 * The dead man's switch end to end with the real Prometheus Alertmanager (Debian `prometheus-alertmanager`): its
 * always-firing Watchdog, re-sent every repeat_interval, keeps the heartbeat up and is never delivered as an alert;
 * once Prometheus stops sending it (it ends, Alertmanager sends the resolve), the pings stop and the missed alert
 * fires, routed to its destination.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALERTMANAGER_BIN, realAlertmanager, startAlertmanager, type RunningAlertmanager } from '../alertmanager.ts';
import { ADMIN_TOKEN, Emulator, freePort, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const PROM_TOKEN = 'prometheus-watchdog-source-token-0123';
const am = realAlertmanager();

describe(`Watchdog heartbeat with the real Prometheus Alertmanager${am.version ? ` ${am.version}` : ''}`, { skip: am.skip }, () => {
  if (am.missing) {
    test(`${ALERTMANAGER_BIN} is installed`, () => assert.fail(`CI is set, so the real-Alertmanager test must run, not skip: ${am.missing}`));
    return;
  }
  let emu: Emulator;
  let gw: TocsinProcess;
  let alertmanager: RunningAlertmanager;
  const watchdog = (endsAt: string) => ({ labels: { alertname: 'Watchdog', severity: 'none', prometheus: 'monitoring/k8s' }, annotations: { summary: 'An alert that should always be firing' }, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt });
  const heartbeat = async () => (await http('GET', `${gw.url}/api/v1/heartbeats`, { token: ADMIN_TOKEN })).body.heartbeats[0];

  before(async () => {
    emu = await Emulator.start();
    const dir = tempDir();
    const port = await freePort();
    const config = {
      listen: `127.0.0.1:${port}`,
      storage: { sqlite: `${dir}/tocsin.db` },
      admin_token: ADMIN_TOKEN,
      sources: { prom: { type: 'alertmanager', token: PROM_TOKEN } },
      destinations: { oncall: { type: 'incident_io_alert_source', alert_source_config_id: emu.source.id, token: emu.source.token, base_url: emu.url } },
      heartbeats: { 'prometheus-watchdog': { every: '4s', alertmanager: { source: 'prom' }, labels: { team: 'sre' } } },
      delivery: { poll_interval: '100ms' },
    };
    gw = await startTocsin(writeConfig(dir, config), { port });
    alertmanager = await startAlertmanager({
      route: { receiver: 'tocsin', group_by: ['alertname'], group_wait: '0s', group_interval: '1s', repeat_interval: '1s' },
      receivers: [{ name: 'tocsin', webhook_configs: [{ url: `${gw.url}/ingest/prom`, send_resolved: true, http_config: { authorization: { type: 'Bearer', credentials: PROM_TOKEN } } }] }],
    });
  });

  after(async () => {
    await alertmanager?.stop().catch(() => undefined);
    await gw?.kill().catch(() => undefined);
    await emu?.close();
  });

  test('the repeated Watchdog keeps the heartbeat up and is never delivered', async () => {
    await alertmanager.postAlerts([watchdog(new Date(Date.now() + 3_600_000).toISOString())]);
    await waitFor('three Watchdog notifications counted as pings', async () => (await heartbeat()).pings >= 3, 15_000, 100);
    await new Promise((r) => setTimeout(r, 4500)); // longer than every: the repeats keep it up
    const hb = await heartbeat();
    assert.equal(hb.status, 'up');
    assert.equal(hb.alert, null);
    assert.deepEqual(await emu.alerts(), [], 'nothing delivered: the Watchdog is not an alert');
    const stored = (await http('GET', `${gw.url}/api/v1/alerts?source=prom`, { token: ADMIN_TOKEN })).body.alerts;
    assert.deepEqual(stored, []);
  });

  test('Prometheus stops sending it: the pings stop and the missed alert fires', async () => {
    await alertmanager.postAlerts([watchdog(new Date().toISOString())]);
    const fired = await waitFor('the missed alert', async () => (await emu.alerts()).find((a) => a.deduplication_key === 'tocsin:heartbeat:prometheus-watchdog'), 15_000, 100);
    assert.equal(fired.status, 'firing');
    assert.equal(fired.title, 'prometheus-watchdog: no heartbeat for 4s');
    assert.equal((await heartbeat()).status, 'down');
    assert.ok(!(await emu.alerts()).some((a) => /Watchdog|always be firing/.test(a.title)), 'the resolved Watchdog is not delivered either');
  });
});
