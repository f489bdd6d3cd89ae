import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

/**
 * Issue 8 §3: the sender's metadata reaches incident.io unchanged. tocsin adds `tocsin_source` and `tocsin_severity`,
 * and fills `source`, `severity` and the destination's configured metadata only where the sender left a gap.
 */
describe("sender's metadata reaches incident.io unchanged", () => {
  let emu: Emulator;
  let gw: TocsinProcess;

  before(async () => {
    emu = await Emulator.start();
    const dir = tempDir();
    const port = await freePort();
    const config = gatewayConfig(emu, dir, port, { delivery: { poll_interval: '100ms' } });
    (config.destinations.oncall as Record<string, unknown>).metadata = { environment: 'production', region: 'eu-west-1' };
    gw = await startTocsin(writeConfig(dir, config), { port });
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  const sent = (key: string, status: string) =>
    waitFor(`${key} ${status} at the emulator`, async () => (await emu.requests()).find((r) => r.body?.deduplication_key === key && r.body.status === status && r.status === 202));

  test("a sender's source, severity and environment are sent as it gave them, firing and resolved", async () => {
    // A relay that forwards Datadog monitors: its own `source` and `severity` words, and its own environment.
    const metadata = { source: 'datadog', severity: 'P1', environment: 'staging', monitor: { id: 4711, tags: ['team:payments'] } };
    const r = await http('POST', `${gw.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Checkout latency p99 > 2s', dedup_key: 'dd-4711', severity: 'critical', metadata } });
    assert.equal(r.status, 202, r.text);
    const firing = await sent('app:dd-4711', 'firing');
    assert.deepEqual(firing.body.metadata, { ...metadata, region: 'eu-west-1', tocsin_source: 'app', tocsin_severity: 'critical' });
    assert.deepEqual(firing.errors, []);

    // The minimal resolve: no metadata in it, the alert's own is kept (merge rule) and still not overwritten.
    await http('POST', `${gw.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Checkout latency p99 > 2s', dedup_key: 'dd-4711', status: 'resolved' } });
    const resolved = await sent('app:dd-4711', 'resolved');
    assert.equal(resolved.body.metadata.source, 'datadog');
    assert.equal(resolved.body.metadata.severity, 'P1');
    assert.equal(resolved.body.metadata.environment, 'staging');
    assert.equal(resolved.body.metadata.tocsin_source, 'app');
  });

  test('without those keys tocsin fills source, severity and the configured metadata', async () => {
    const r = await http('POST', `${gw.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Disk 95% full on db-1', dedup_key: 'disk-db-1', severity: 'warning', metadata: { host: 'db-1' } } });
    assert.equal(r.status, 202, r.text);
    const firing = await sent('app:disk-db-1', 'firing');
    assert.deepEqual(firing.body.metadata, {
      host: 'db-1', environment: 'production', region: 'eu-west-1', source: 'app', severity: 'warning', tocsin_source: 'app', tocsin_severity: 'warning',
    });
  });
});
