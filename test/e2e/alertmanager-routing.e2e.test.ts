/**
 * §2 of the core-correctness issue, "route on what senders actually send", with the real Prometheus Alertmanager: a
 * tocsin route `match: { team: storage }` sees the alert's `team` label by name, so the alert and its resolve
 * (send_resolved) go to the storage destination, while the rest takes the default route. A per-source severity_map
 * turns the rule set's own `P1` into critical.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALERTMANAGER_BIN, realAlertmanager, startAlertmanager, type PostableAlert, type RunningAlertmanager } from '../alertmanager.ts';
import { ADMIN_TOKEN, Emulator, freePort, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const PROM_TOKEN = 'prometheus-routing-source-token-0123';
const STORAGE = { id: '01AMROUTINGSTORAGE0000000A', token: 'storage-alert-source-token-0123456789' };
const GENERAL = { id: '01AMROUTINGGENERAL0000000B', token: 'general-alert-source-token-0123456789' };

const am = realAlertmanager();

describe(`routing on Alertmanager labels, with the real Prometheus Alertmanager${am.version ? ` ${am.version}` : ''}`, { skip: am.skip }, () => {
  if (am.missing) {
    test(`${ALERTMANAGER_BIN} is installed`, () => assert.fail(`CI is set, so the real-Alertmanager test must run, not skip: ${am.missing}`));
    return;
  }
  let emu: Emulator | undefined;
  let gw: TocsinProcess | undefined;
  let alertmanager: RunningAlertmanager | undefined;
  /** `prom:<fingerprint>` of the team=storage alert, as incident.io sees it. */
  let storageKey = '';
  const logs = () => `\n--- alertmanager ---\n${alertmanager?.tail() ?? ''}\n--- tocsin ---\n${gw?.output.slice(-20).join('\n') ?? ''}`;

  const startsAt = new Date().toISOString();
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  const diskFull = (team: string, instance: string, endsAt: string): PostableAlert => ({
    labels: { alertname: 'NodeFilesystemAlmostOutOfSpace', instance, mountpoint: '/var/lib/postgresql', team, severity: 'P1' },
    annotations: { summary: `Filesystem on ${instance} has less than 5% space left`, description: `${instance}:/var/lib/postgresql is 96% full.` },
    startsAt,
    endsAt,
    generatorURL: `http://127.0.0.1:9090/graph?g0.expr=node_filesystem_avail_bytes%7Binstance%3D%22${instance}%22%7D`,
  });
  const fingerprintOf = async (instance: string) =>
    waitFor(`Alertmanager to list ${instance}`, async () => (await alertmanager!.alerts()).find((a) => a.labels.instance === instance)?.fingerprint);
  const alertsIn = async (source: { id: string }, key: string) => (await emu!.alerts()).filter((a) => a.alert_source_id === source.id && a.deduplication_key === key);
  const waitIn = (source: { id: string }, key: string, status: 'firing' | 'resolved') =>
    waitFor(`${key} ${status} in ${source === STORAGE ? 'storage' : 'general'}`, async () => (await alertsIn(source, key)).find((a) => a.status === status), 15_000, 100).catch((e: Error) => {
      throw new Error(`${e.message}${logs()}`);
    });

  before(async () => {
    emu = await Emulator.start({ alertSources: [STORAGE, GENERAL], alertEventsPerMinute: 6_000 });
    const dir = tempDir();
    const port = await freePort();
    const destination = (s: { id: string; token: string }) => ({ type: 'incident_io_alert_source', alert_source_config_id: s.id, token: s.token, base_url: emu!.url });
    const config = {
      listen: `127.0.0.1:${port}`,
      storage: { sqlite: `${dir}/tocsin.db` },
      admin_token: ADMIN_TOKEN,
      sources: { prom: { type: 'alertmanager', token: PROM_TOKEN, severity_map: { P1: 'critical', P2: 'error' } } },
      destinations: { storage: destination(STORAGE), general: destination(GENERAL) },
      routes: [{ match: { team: 'storage' }, to: 'storage' }, { to: 'general' }],
      delivery: { poll_interval: '100ms' },
    };
    gw = await startTocsin(writeConfig(dir, config), { port });
    alertmanager = await startAlertmanager({
      route: { receiver: 'tocsin', group_by: ['alertname', 'team'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [
        {
          name: 'tocsin',
          webhook_configs: [{ url: `${gw.url}/ingest/prom`, send_resolved: true, http_config: { authorization: { type: 'Bearer', credentials: PROM_TOKEN } } }],
        },
      ],
    });
  });

  after(async () => {
    try {
      await alertmanager?.stop();
    } finally {
      try {
        await gw?.kill();
      } finally {
        await emu?.close();
      }
    }
  });

  test('team=storage goes to the storage destination, the other team to the default route', async () => {
    await alertmanager!.postAlerts([diskFull('storage', 'pg-1', inAnHour), diskFull('web', 'web-1', inAnHour)]);
    storageKey = `prom:${await fingerprintOf('pg-1')}`;
    const webKey = `prom:${await fingerprintOf('web-1')}`;

    const stored = await waitIn(STORAGE, storageKey, 'firing');
    assert.equal(stored.title, 'Filesystem on pg-1 has less than 5% space left');
    assert.equal(stored.metadata.severity, 'critical', 'severity_map: P1 → critical');
    assert.equal(stored.metadata.labels.team, 'storage');
    await waitIn(GENERAL, webKey, 'firing');
    assert.deepEqual(await alertsIn(GENERAL, storageKey), [], 'the storage alert did not take the default route');
    assert.deepEqual(await alertsIn(STORAGE, webKey), [], 'the web alert did not match team=storage');

    const r = await http('GET', `${gw!.url}/api/v1/alerts?source=prom&limit=10`, { token: ADMIN_TOKEN });
    const row = (r.body.alerts as any[]).find((a) => `prom:${a.dedup_key}` === storageKey);
    assert.equal(row?.severity, 'critical', r.text);
  });

  test("the storage alert's resolve (send_resolved) reaches the storage destination too", async () => {
    await alertmanager!.postAlerts([diskFull('storage', 'pg-1', new Date().toISOString())]);
    assert.ok(storageKey, 'set by the test before');
    const resolved = await waitIn(STORAGE, storageKey, 'resolved');
    assert.equal(resolved.events, 2, 'one firing and one resolved event');
    assert.deepEqual(await alertsIn(GENERAL, storageKey), [], 'the resolve did not go to the default route');
    const web = (await emu!.alerts()).find((a) => a.alert_source_id === GENERAL.id);
    assert.equal(web?.status, 'firing', 'the other alert is still firing in the default destination');
    assert.equal(await alertmanager!.metric('alertmanager_notifications_failed_total', { integration: 'webhook' }), 0, logs());
  });
});
