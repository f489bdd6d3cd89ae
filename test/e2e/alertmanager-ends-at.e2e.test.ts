/**
 * Alertmanager's endsAt (issue 9): a "firing" alert whose endsAt had already passed when the request arrived (a late
 * replay, or a tool sending Alertmanager's shape with the real endsAt) is over, as Alertmanager itself reads it: the
 * open alert is resolved in incident.io. Alertmanager's own zero time keeps it firing.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig } from '../harness.ts';

const TOKEN = 'prometheus-source-token-0123456789';
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const notification = (endsAt: string) => ({
  version: '4',
  status: 'firing',
  receiver: 'tocsin',
  groupKey: '{}:{alertname="DiskFull"}',
  groupLabels: { alertname: 'DiskFull' },
  alerts: [{ status: 'firing', labels: { alertname: 'DiskFull', instance: 'db-1' }, annotations: { summary: 'Disk full on db-1' }, startsAt: '2026-11-22T08:00:00Z', endsAt, fingerprint: 'aa11bb22cc33dd44' }],
});

test('a firing alert whose endsAt has passed resolves the open alert; the zero time keeps it firing', async () => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const t = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { sources: { prometheus: { type: 'alertmanager', token: TOKEN } }, delivery: { poll_interval: '100ms' } })), { port });
  cleanups.push(() => t.kill('SIGKILL'));
  const post = (endsAt: string) => http('POST', `${t.url}/ingest/prometheus`, { token: TOKEN, body: notification(endsAt) });
  const fired = await post('0001-01-01T00:00:00Z');
  assert.equal(fired.status, 202);
  assert.equal(fired.body.warnings, undefined);
  await waitFor('firing in incident.io', async () => (await emu.alerts())[0]?.status === 'firing');
  const stale = await post(new Date(Date.now() - 60_000).toISOString());
  assert.equal(stale.status, 202);
  assert.match(stale.body.warnings.join(' '), /endsAt had already passed/);
  await waitFor('resolved in incident.io', async () => (await emu.alerts())[0]?.status === 'resolved');
  assert.equal((await emu.alerts()).length, 1, 'the same alert, resolved: not a new one');
});
