/**
 * Inhibition (issue 9, docs/silences.md): Alertmanager's inhibit_rules. While a source alert fires, alerts matching the
 * target matchers with the same `equal` labels are held (shown as inhibited, with the alert inhibiting them); when the
 * source resolves, those still firing are delivered.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const send = (t: TocsinProcess, key: string, alertname: string, instance: string, status = 'firing') =>
  http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: `${alertname} on ${instance}`, dedup_key: key, status, metadata: { alertname, instance } } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a firing NodeDown holds the DiskFull of the same instance, not of another; its resolve lets it through', async () => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const config = writeConfig(
    dir,
    gatewayConfig(emu, dir, port, {
      delivery: { poll_interval: '100ms', retry_base_delay: '100ms' },
      inhibit_rules: [{ source_matchers: ['alertname="NodeDown"'], target_matchers: ['alertname=~"Disk.*|NodeDown"'], equal: ['instance'] }],
    }),
  );
  const t = await startTocsin(config, { port });
  cleanups.push(() => t.kill('SIGKILL'));
  const events = async (key: string) =>
    (await emu.requests(`/v2/alert_events/http/${emu.source.id}`)).filter((r) => r.status === 202 && String(r.body.deduplication_key).endsWith(key)).map((r) => r.body.status as string);

  const source = (await send(t, 'node-a', 'NodeDown', 'a')).body.results[0].id;
  const held = (await send(t, 'disk-a', 'DiskFull', 'a')).body.results[0].id;
  await send(t, 'disk-b', 'DiskFull', 'b');
  await waitFor('NodeDown and the other instance delivered', async () => (await events('node-a')).length === 1 && (await events('disk-b')).length === 1);
  await sleep(500);
  assert.deepEqual(await events('disk-a'), [], 'held while NodeDown fires');
  const view = (await http('GET', `${t.url}/api/v1/alerts/${held}`, { token: ADMIN_TOKEN })).body;
  assert.deepEqual(view.alert.muted, { by: 'inhibition', inhibited_by: source, destinations: ['oncall'] });
  assert.equal((await http('GET', `${t.url}/api/v1/alerts/${source}`, { token: ADMIN_TOKEN })).body.alert.muted, null, 'an alert does not inhibit itself');

  await send(t, 'node-a', 'NodeDown', 'a', 'resolved');
  await waitFor('the held alert delivered once NodeDown resolved', async () => (await events('disk-a')).length === 1);
  assert.deepEqual(await events('node-a'), ['firing', 'resolved']);
  assert.equal((await http('GET', `${t.url}/api/v1/alerts/${held}`, { token: ADMIN_TOKEN })).body.alert.muted, null);
});
