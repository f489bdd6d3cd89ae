import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALERTMANAGER_BIN, alertmanagerVersion, startAlertmanager, type PostableAlert, type RunningAlertmanager } from '../alertmanager.ts';
import { ADMIN_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

// "Test with the real thing": a real Prometheus Alertmanager notifies tocsin through its webhook receiver, tocsin
// delivers to the incident.io emulator. Alerts go in through Alertmanager's own v2 API, as Prometheus sends them.

const AM_TOKEN = 'alertmanager-real-source-token-0123';
const CI = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());
const VERSION = alertmanagerVersion();
const MISSING = VERSION === undefined ? `${ALERTMANAGER_BIN} is not installed or does not run (apt-get install prometheus-alertmanager; scripts/test.sh installs it)` : undefined;

// Outside CI a machine without Alertmanager skips, saying why. In CI it is a failing test (counted in `# fail`, where
// a failing `before` would only cancel the tests).
describe(`the real Prometheus Alertmanager${VERSION ? ` ${VERSION}` : ''} → tocsin → incident.io (emulator)`, { skip: !CI && MISSING ? MISSING : false }, () => {
  if (MISSING) {
    test(`${ALERTMANAGER_BIN} is installed`, () => assert.fail(`CI is set, so the real-Alertmanager test must run, not skip: ${MISSING}`));
    return;
  }

  let emu: Emulator | undefined;
  let gw: TocsinProcess | undefined;
  let am: RunningAlertmanager | undefined;
  /** instance label → Alertmanager's fingerprint of that alert. */
  const fp: Record<string, string> = {};

  const startsAt = new Date().toISOString();
  const highCpu = (instance: string, endsAt: string): PostableAlert => ({
    labels: { alertname: 'HighCPU', instance, job: 'node', severity: 'critical' },
    annotations: { summary: `CPU above 90% on ${instance}`, description: `${instance} has been busy for 5 minutes.` },
    startsAt,
    endsAt,
    generatorURL: `http://127.0.0.1:9090/graph?g0.expr=cpu_busy%7Binstance%3D%22${instance}%22%7D`,
  });
  const INSTANCES = ['web-1', 'web-2'] as const;
  const TIMEOUT = 15_000;

  /** Both sides' recent logs, so a timeout in CI says where the notification got stuck. */
  const logs = () => `\n--- alertmanager ---\n${am?.tail() ?? ''}\n--- tocsin ---\n${gw?.output.slice(-20).join('\n') ?? ''}`;
  const withLogs = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      throw new Error(`${(e as Error).message}${logs()}`);
    }
  };
  const amAlerts = async () => (await emu!.alerts()).filter((a) => String(a.deduplication_key).startsWith('am:'));
  const alertIn = (instance: string, status: 'firing' | 'resolved') =>
    withLogs(waitFor(`am:${fp[instance]} (${instance}) ${status} in the emulator`, async () => (await amAlerts()).find((a) => a.deduplication_key === `am:${fp[instance]}` && a.status === status), TIMEOUT, 100));

  before(async () => {
    emu = await Emulator.start();
    const dir = tempDir();
    const port = await freePort();
    const sources = { am: { type: 'alertmanager', token: AM_TOKEN } };
    gw = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { sources, delivery: { poll_interval: '100ms' } })), { port });
    am = await startAlertmanager({
      global: { resolve_timeout: '5m' },
      route: { receiver: 'tocsin', group_by: ['alertname'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [
        {
          name: 'tocsin',
          webhook_configs: [
            {
              url: `${gw.url}/ingest/am`,
              send_resolved: true,
              http_config: { authorization: { type: 'Bearer', credentials: AM_TOKEN } },
            },
          ],
        },
      ],
    });
  });

  after(async () => {
    // Alertmanager first, so it does not retry into a tocsin that is going away. Each step runs even if one throws.
    try {
      await am?.stop();
    } finally {
      try {
        await gw?.kill();
      } finally {
        await emu?.close();
      }
    }
  });

  test('two alerts posted to Alertmanager fire in incident.io, keyed by their fingerprints', async () => {
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    await am!.postAlerts(INSTANCES.map((i) => highCpu(i, inAnHour)));

    const listed = await waitFor('both alerts listed by Alertmanager', async () => {
      const all = await am!.alerts();
      return all.length === 2 && all;
    });
    for (const a of listed) {
      assert.equal(a.status.state, 'active');
      assert.match(a.fingerprint, /^[0-9a-f]{16}$/);
      fp[a.labels.instance!] = a.fingerprint;
    }
    assert.deepEqual(Object.keys(fp).sort(), [...INSTANCES]);
    assert.notEqual(fp['web-1'], fp['web-2']);

    for (const instance of INSTANCES) {
      const alert = await alertIn(instance, 'firing');
      assert.equal(alert.title, `CPU above 90% on ${instance}`);
      assert.equal(alert.metadata.severity, 'critical');
      assert.equal(alert.metadata.source, 'am');
      assert.equal(alert.metadata.fingerprint, fp[instance]);
      assert.deepEqual(alert.metadata.labels, highCpu(instance, inAnHour).labels);
      assert.equal(alert.metadata.receiver, 'tocsin');
      assert.equal(alert.metadata.external_url, am!.url);
      assert.equal(alert.source_url, highCpu(instance, inAnHour).generatorURL);
      assert.match(alert.description, /has been busy for 5 minutes/);
    }
    assert.equal((await amAlerts()).length, 2);
  });

  test('resolving one alert of the group resolves only that one (the group notification still says firing)', async () => {
    await am!.postAlerts([highCpu('web-1', new Date().toISOString())]);
    await alertIn('web-1', 'resolved');
    // The same notification carried web-2 as firing: tocsin saw nothing new in it and sent nothing for it.
    const web2 = (await amAlerts()).find((a) => a.deduplication_key === `am:${fp['web-2']}`);
    assert.equal(web2?.status, 'firing');
    assert.equal(web2?.events, 1, 'a repeat of an unchanged firing alert must not be delivered again');
    assert.deepEqual((await am!.alerts()).map((a) => a.fingerprint), [fp['web-2']]);
  });

  test('resolving the other ends with both resolved, one alert per fingerprint, and tocsin agreeing', async () => {
    await am!.postAlerts([highCpu('web-2', new Date().toISOString())]);
    await alertIn('web-2', 'resolved');

    const all = await amAlerts();
    assert.equal(all.length, 2, `exactly one incident.io alert per fingerprint, got ${JSON.stringify(all.map((a) => [a.deduplication_key, a.status]))}`);
    for (const instance of INSTANCES) {
      const alert = all.find((a) => a.deduplication_key === `am:${fp[instance]}`);
      assert.equal(alert?.status, 'resolved');
      assert.equal(alert?.events, 2, `${instance}: one firing and one resolved event, no duplicates`);
    }

    // tocsin's own view.
    const r = await http('GET', `${gw!.url}/api/v1/alerts?source=am&limit=200`, { token: ADMIN_TOKEN });
    assert.equal(r.status, 200, r.text);
    const stored = r.body.alerts as any[];
    assert.equal(stored.length, 2, r.text);
    for (const instance of INSTANCES) {
      const row = stored.find((a) => a.dedup_key === fp[instance]);
      assert.ok(row, `tocsin has no alert for ${instance} (${fp[instance]}): ${r.text}`);
      assert.equal(row.state, 'resolved');
      assert.equal(row.incident_io_dedup_key, `am:${fp[instance]}`);
      assert.equal(row.severity, 'critical');
      assert.equal(row.title, `CPU above 90% on ${instance}`);
      assert.ok(row.resolved_at);
    }

    // Alertmanager's side: nothing left active, and every notification was taken (the bearer token was accepted).
    assert.deepEqual(await am!.alerts(), []);
    assert.equal(await am!.metric('alertmanager_notifications_failed_total', { integration: 'webhook' }), 0, logs());
    assert.ok((await am!.metric('alertmanager_notifications_total', { integration: 'webhook' })) >= 3);
  });
});
