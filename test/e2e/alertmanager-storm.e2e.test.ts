/**
 * §3 of the core-correctness issue, "no real payload is refused", for Alertmanager storms: a realistic 1,000-alert
 * kube-prometheus group (over 1 MiB) through the real Alertmanager, and a 5,000-alert group posted directly, are
 * taken whole (Alertmanager never retries a 4xx: a 413 or 400 there would lose the page).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labelsFingerprint } from '../../src/sources/alertmanager/fingerprint.ts';
import { kubePodNotReady, realAlertmanager, RecordingRelay, startAlertmanager, ALERTMANAGER_BIN, type RunningAlertmanager } from '../alertmanager.ts';
import { APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const PROM_TOKEN = 'prometheus-storm-source-token-0123';
const MiB = 1024 * 1024;

/** tocsin with one `alertmanager` source, delivering to the emulator as fast as the emulator takes it. */
async function gateway(emu: Emulator): Promise<TocsinProcess> {
  const dir = tempDir();
  const port = await freePort();
  const base = gatewayConfig(emu, dir, port);
  const config = {
    ...base,
    sources: { ...base.sources, prom: { type: 'alertmanager', token: PROM_TOKEN } },
    destinations: { oncall: { ...base.destinations.oncall, rate_limit_per_minute: 600_000, rate_limit_burst: 1_000 } },
    delivery: { poll_interval: '100ms', concurrency: 16 },
  };
  return startTocsin(writeConfig(dir, config), { port });
}

const am = realAlertmanager();

describe(`a 1,000-alert storm group through the real Prometheus Alertmanager${am.version ? ` ${am.version}` : ''}`, { skip: am.skip }, () => {
  if (am.missing) {
    test(`${ALERTMANAGER_BIN} is installed`, () => assert.fail(`CI is set, so the real-Alertmanager test must run, not skip: ${am.missing}`));
    return;
  }
  const STORM = 1_000;
  let emu: Emulator | undefined;
  let gw: TocsinProcess | undefined;
  let relay: RecordingRelay | undefined;
  let alertmanager: RunningAlertmanager | undefined;
  const logs = () => `\n--- alertmanager ---\n${alertmanager?.tail() ?? ''}\n--- tocsin ---\n${gw?.output.slice(-20).join('\n') ?? ''}`;

  before(async () => {
    emu = await Emulator.start({ alertEventsPerMinute: 600_000 });
    gw = await gateway(emu);
    // Between Alertmanager and tocsin: records what Alertmanager really sent (it logs neither size nor answer).
    relay = await RecordingRelay.start(gw.url);
    alertmanager = await startAlertmanager({
      route: { receiver: 'tocsin', group_by: ['alertname', 'namespace'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [
        {
          name: 'tocsin',
          // No max_alerts: the whole group in one request, as Alertmanager sends it by default.
          webhook_configs: [{ url: `${relay.url}/ingest/prom`, send_resolved: true, http_config: { authorization: { type: 'Bearer', credentials: PROM_TOKEN } } }],
        },
      ],
    });
  });

  after(async () => {
    try {
      await alertmanager?.stop();
    } finally {
      try {
        await relay?.close();
        await gw?.kill();
      } finally {
        await emu?.close();
      }
    }
  });

  test('the group (over 1 MiB) is accepted whole, and all 1,000 alerts fire in incident.io under their fingerprints', async () => {
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    await alertmanager!.postAlerts(Array.from({ length: STORM }, (_, i) => kubePodNotReady(i, { endsAt: inAnHour })));

    const sent = await waitFor('the 1,000-alert notification', () => relay!.requests.find((r) => r.alerts === STORM), 20_000, 100).catch((e: Error) => {
      throw new Error(`${e.message}: relayed ${JSON.stringify(relay!.requests)}${logs()}`);
    });
    assert.equal(sent.status, 202, `tocsin answered ${sent.status} to the storm group${logs()}`);
    assert.ok(sent.bytes > MiB, `the group is ${sent.bytes} bytes: a realistic storm is over the old 1 MiB limit`);
    assert.ok(sent.bytes / STORM > 1_000 && sent.bytes / STORM < 1_600, `${sent.bytes / STORM} bytes per alert: kube-prometheus sized`);

    const fingerprints = (await alertmanager!.alerts()).map((a) => a.fingerprint);
    assert.equal(fingerprints.length, STORM);
    // tocsin's own fallback for a body without fingerprints computes exactly Alertmanager's.
    for (const a of await alertmanager!.alerts()) assert.equal(labelsFingerprint(a.labels), a.fingerprint);

    const keys = new Set(fingerprints.map((f) => `prom:${f}`));
    const firing = await waitFor(
      'all 1,000 firing in the emulator',
      async () => {
        const alerts = (await emu!.alerts()).filter((a) => keys.has(a.deduplication_key) && a.status === 'firing');
        return alerts.length === STORM && alerts;
      },
      60_000,
      250,
    ).catch((e: Error) => {
      throw new Error(`${e.message}${logs()}`);
    });
    const one = firing.find((a) => a.deduplication_key === `prom:${fingerprints[0]}`);
    assert.equal(one.title, 'Pod has been in a non-ready state for more than 15 minutes.');
    assert.equal(one.metadata.labels.team, 'data-platform');

    for (const r of relay!.requests) assert.ok(r.status < 300, `a notification got ${r.status}: ${JSON.stringify(r)}`);
    assert.equal(await alertmanager!.metric('alertmanager_notifications_failed_total', { integration: 'webhook' }), 0, logs());
  });

  test('the storm clears: the 1,000-alert resolved group is accepted and every alert resolves', async () => {
    const now = new Date().toISOString();
    const before = relay!.requests.length;
    await alertmanager!.postAlerts(Array.from({ length: STORM }, (_, i) => kubePodNotReady(i, { endsAt: now })));
    await waitFor('every alert resolved in the emulator', async () => (await emu!.alerts()).filter((a) => a.status === 'resolved').length === STORM, 60_000, 250).catch((e: Error) => {
      throw new Error(`${e.message}: relayed ${JSON.stringify(relay!.requests.slice(before))}${logs()}`);
    });
    const resolvedGroup = relay!.requests.slice(before).find((r) => r.alerts === STORM);
    assert.ok(resolvedGroup && resolvedGroup.bytes > MiB, JSON.stringify(relay!.requests.slice(before)));
    for (const r of relay!.requests) assert.ok(r.status < 300, `a notification got ${r.status}: ${JSON.stringify(r)}`);
    assert.equal((await emu!.alerts()).length, STORM, 'one incident.io alert per fingerprint, no duplicates');
  });
});

describe('a 5,000-alert group posted directly', () => {
  let emu: Emulator | undefined;
  let gw: TocsinProcess | undefined;

  before(async () => {
    emu = await Emulator.start({ alertEventsPerMinute: 600_000 });
    gw = await gateway(emu);
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  /** The body Alertmanager's webhook sends (format 4) for `alerts`, with their real fingerprints. */
  const webhookBody = (alerts: ReturnType<typeof kubePodNotReady>[]) => ({
    version: '4',
    groupKey: '{}:{alertname="KubePodNotReady", namespace="batch-ingest"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'tocsin',
    groupLabels: { alertname: 'KubePodNotReady', namespace: 'batch-ingest' },
    commonLabels: { alertname: 'KubePodNotReady', namespace: 'batch-ingest', severity: 'warning' },
    commonAnnotations: { summary: 'Pod has been in a non-ready state for more than 15 minutes.' },
    externalURL: 'http://alertmanager.monitoring.svc:9093',
    alerts: alerts.map((a) => ({ status: 'firing', ...a, endsAt: '0001-01-01T00:00:00Z', fingerprint: labelsFingerprint(a.labels) })),
  });

  test('is accepted with 202 and every alert is created', async () => {
    const body = webhookBody(Array.from({ length: 5_000 }, (_, i) => kubePodNotReady(i)));
    const bytes = Buffer.byteLength(JSON.stringify(body));
    assert.ok(bytes > 5 * MiB, `${bytes} bytes`);
    const started = Date.now();
    const r = await http('POST', `${gw!.url}/ingest/prom`, { token: PROM_TOKEN, body });
    const ms = Date.now() - started;
    assert.equal(r.status, 202, r.text.slice(0, 500));
    assert.equal(r.body.results.length, 5_000);
    assert.ok(r.body.results.every((x: { result: string }) => x.result === 'created'));
    assert.equal(r.body.warnings, undefined);
    assert.ok(ms < 10_000, `${ms} ms for 5,000 alerts: Alertmanager gives a notification at least 10 s`);
    process.stdout.write(`# 5,000-alert group: ${(bytes / MiB).toFixed(1)} MiB accepted in ${ms} ms\n`);

    // The same group again (Alertmanager's repeat notification): nothing new.
    const again = await http('POST', `${gw!.url}/ingest/prom`, { token: PROM_TOKEN, body });
    assert.equal(again.status, 202);
    assert.ok(again.body.results.every((x: { result: string }) => x.result === 'unchanged'));
  });

  test('the storm-size limit is the alertmanager type\'s own: the native alerts source keeps 1 MiB', async () => {
    const big = Array.from({ length: 900 }, (_, i) => ({ title: `Table ${i} stale`, dedup_key: `t${i}`, description: 'x'.repeat(1_500) }));
    const r = await http('POST', `${gw!.url}/ingest/app`, { token: APP_TOKEN, body: big });
    assert.equal(r.status, 413, r.text);
  });
});
