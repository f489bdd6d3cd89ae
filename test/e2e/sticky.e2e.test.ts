/**
 * §1 of the core-correctness issue, through real HTTP, a real tocsin process and the emulator: a resolve goes where
 * its alert went, whatever the resolving event carries; config changes route active alerts again; a removed
 * destination's deliveries are kept as orphaned and sent once it is back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const INFRA = { id: '01STICKYINFRA000000000000A', token: 'infra-alert-source-token-0123456789' };
const GENERAL = { id: '01STICKYGENERAL00000000000B', token: 'general-alert-source-token-0123456789' };
const STORAGE = { id: '01STICKYSTORAGE00000000000C', token: 'storage-alert-source-token-0123456789' };

const send = (t: TocsinProcess, body: unknown) => http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body });
const api = (t: TocsinProcess, path: string, method = 'GET') => http(method, `${t.url}/api/v1${path}`, { token: ADMIN_TOKEN });

describe('sticky destinations end to end', () => {
  let emu: Emulator;
  let tocsin: TocsinProcess;
  let dir: string;
  let port: number;
  const destination = (s: { id: string; token: string }, over: Record<string, unknown> = {}) => ({
    type: 'incident_io_alert_source',
    alert_source_config_id: s.id,
    token: s.token,
    base_url: emu.url,
    ...over,
  });
  const config = (destinations: Record<string, unknown>, routes: unknown[]) => ({
    listen: `127.0.0.1:${port}`,
    storage: { sqlite: `${dir}/tocsin.db` },
    admin_token: ADMIN_TOKEN,
    sources: { app: { type: 'alerts', token: APP_TOKEN } },
    destinations,
    routes,
    delivery: { poll_interval: '100ms', retry_base_delay: '100ms', retry_max_delay: '300ms' },
  });
  const alertsIn = async (source: { id: string }, key: string) => (await emu.alerts()).filter((a) => a.alert_source_id === source.id && a.deduplication_key === key);

  before(async () => {
    emu = await Emulator.start({ alertSources: [INFRA, GENERAL, STORAGE], alertEventsPerMinute: 6000 });
    dir = tempDir();
    port = await freePort();
    const path = writeConfig(
      dir,
      config({ infra: destination(INFRA), general: destination(GENERAL) }, [{ match: { severity: 'critical' }, to: 'infra' }, { to: 'general' }]),
    );
    tocsin = await startTocsin(path, { port });
  });
  after(async () => {
    await tocsin?.kill();
    await emu?.close();
  });

  test("the README's minimal resolve reaches the destination a critical alert went to, and keeps its severity and metadata", async () => {
    const fired = await send(tocsin, { title: 'Primary DB down', dedup_key: 'db-down', severity: 'critical', metadata: { service: 'db', team: 'storage' } });
    assert.equal(fired.status, 202);
    await waitFor('firing in infra', async () => (await alertsIn(INFRA, 'app:db-down'))[0]?.status === 'firing');
    const resolved = await send(tocsin, { title: 'Primary DB down', dedup_key: 'db-down', status: 'resolved' });
    assert.equal(resolved.body.results[0].result, 'resolved');
    await waitFor('resolved in infra', async () => (await alertsIn(INFRA, 'app:db-down'))[0]?.status === 'resolved');
    assert.deepEqual(await alertsIn(GENERAL, 'app:db-down'), [], 'nothing went to the default route');
    const resolveEvent = (await emu.requests()).find((r) => r.body?.deduplication_key === 'app:db-down' && r.body.status === 'resolved');
    assert.equal(resolveEvent.body.metadata.service, 'db');
    assert.equal(resolveEvent.body.metadata.team, 'storage');
    const detail = await api(tocsin, `/alerts/${fired.body.results[0].id}`);
    assert.equal(detail.body.alert.severity, 'critical');
    assert.deepEqual(detail.body.alert.metadata, { service: 'db', team: 'storage' });
    assert.deepEqual(detail.body.alert.routed_to, ['infra']);
  });

  test('a severity that drops mid-episode: the update and the resolve still go to infra, and the default route is added', async () => {
    await send(tocsin, { title: 'Replica lag', dedup_key: 'lag', severity: 'critical' });
    await waitFor('firing in infra', async () => (await alertsIn(INFRA, 'app:lag')).length === 1);
    await send(tocsin, { title: 'Replica lag', dedup_key: 'lag', severity: 'warning' });
    await waitFor('update in infra and general', async () => (await alertsIn(GENERAL, 'app:lag')).length === 1 && (await alertsIn(INFRA, 'app:lag'))[0]?.events === 2);
    await send(tocsin, { title: 'Replica lag', dedup_key: 'lag', status: 'resolved', severity: 'info' });
    await waitFor('resolved in both', async () => (await alertsIn(INFRA, 'app:lag'))[0]?.status === 'resolved' && (await alertsIn(GENERAL, 'app:lag'))[0]?.status === 'resolved');
  });

  test('a manual resolve through the API follows the episode too', async () => {
    const fired = await send(tocsin, { title: 'Cache down', dedup_key: 'cache', severity: 'critical' });
    await waitFor('firing in infra', async () => (await alertsIn(INFRA, 'app:cache')).length === 1);
    assert.equal((await api(tocsin, `/alerts/${fired.body.results[0].id}/resolve`, 'POST')).status, 200);
    await waitFor('resolved in infra', async () => (await alertsIn(INFRA, 'app:cache'))[0]?.status === 'resolved');
  });

  test('reload: active alerts reach a destination they now match; a removed one keeps its rows as orphaned until it is back', async () => {
    // "general" becomes unreachable, so an alert for it stays queued.
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const routes = [{ match: { severity: 'critical' }, to: 'infra' }, { to: 'general' }];
    writeFileSync(tocsin.configPath, stringify(config({ infra: destination(INFRA), general: destination(GENERAL, { base_url: unreachable }) }, routes)));
    tocsin.proc.kill('SIGHUP');
    await waitFor('reload', () => tocsin.output.filter((l) => l.includes('configuration reloaded')).length >= 1);
    const queued = await send(tocsin, { title: 'Queue stuck', dedup_key: 'queue', severity: 'warning', metadata: { team: 'storage' } });
    const queuedId = queued.body.results[0].id;
    await waitFor('a failed attempt', async () => (await api(tocsin, `/deliveries?alert_id=${queuedId}`)).body.deliveries[0]?.attempts >= 1);
    const active = await send(tocsin, { title: 'Disk filling', dedup_key: 'disk', severity: 'critical', metadata: { team: 'storage' } });
    await waitFor('disk firing in infra', async () => (await alertsIn(INFRA, 'app:disk')).length === 1);

    // New config: "general" is gone; "storage" takes team=storage first and continues.
    const next = config({ infra: destination(INFRA), storage: destination(STORAGE) }, [
      { match: { team: 'storage' }, to: 'storage', continue: true },
      { match: { severity: 'critical' }, to: 'infra' },
    ]);
    writeFileSync(tocsin.configPath, stringify(next));
    tocsin.proc.kill('SIGHUP');
    await waitFor('second reload', () => tocsin.output.filter((l) => l.includes('configuration reloaded')).length >= 2);
    const warning = tocsin.output.find((l) => l.includes('destination \\"general\\" is not configured') || l.includes('destination "general" is not configured'));
    assert.ok(warning, `a warning names the missing destination:\n${tocsin.output.slice(-10).join('\n')}`);
    // Both active alerts get their current state at "storage", which they never reached before.
    await waitFor('disk and queue in storage', async () => (await alertsIn(STORAGE, 'app:disk')).length === 1 && (await alertsIn(STORAGE, 'app:queue')).length === 1);
    const orphan = (await api(tocsin, `/deliveries?alert_id=${queuedId}&destination=general`)).body.deliveries[0];
    assert.equal(orphan.status, 'orphaned');
    const metrics = await http('GET', `${tocsin.url}/metrics`);
    assert.match(metrics.text, /tocsin_delivery_queue\{destination="general",status="orphaned"\} 1/);
    const refused = await api(tocsin, `/deliveries/${orphan.id}/retry`, 'POST');
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, /not configured/);

    // The alert resolves while "general" is gone: the resolve is kept for it as well.
    await send(tocsin, { title: 'Queue stuck', dedup_key: 'queue', status: 'resolved' });
    await waitFor('queue resolved in storage', async () => (await alertsIn(STORAGE, 'app:queue'))[0]?.status === 'resolved');

    // "general" comes back, reachable: the orphaned row is sent with the alert's latest state (resolved), so
    // nothing is left firing there.
    writeFileSync(tocsin.configPath, stringify(config({ infra: destination(INFRA), storage: destination(STORAGE), general: destination(GENERAL) }, next.routes)));
    tocsin.proc.kill('SIGHUP');
    await waitFor('third reload', () => tocsin.output.filter((l) => l.includes('configuration reloaded')).length >= 3);
    const settled = await waitFor('the orphan settled', async () => {
      const d = (await api(tocsin, `/deliveries?alert_id=${queuedId}&destination=general`)).body.deliveries;
      return d.every((x: { status: string }) => x.status !== 'orphaned' && x.status !== 'pending' && x.status !== 'in_flight') ? d : undefined;
    });
    assert.ok(settled.length >= 1);
    assert.deepEqual((await alertsIn(GENERAL, 'app:queue')).filter((a) => a.status === 'firing'), [], 'nothing left firing at general');
    assert.equal((await alertsIn(INFRA, 'app:disk'))[0].status, 'firing');
    assert.equal(active.body.results[0].result, 'created');
  });

  test('restart with a new config: the first repeat after going live is delivered (nothing "unchanged" is lost)', async () => {
    await send(tocsin, { title: 'Sandbox-era alert', dedup_key: 'old', severity: 'warning' });
    await waitFor('stored', async () => (await api(tocsin, '/alerts?status=firing')).body.alerts.some((a: { dedup_key: string }) => a.dedup_key === 'old'));
    await tocsin.kill();
    // Live config: a destination this alert never reached, and a catch-all route.
    writeFileSync(tocsin.configPath, stringify(config({ infra: destination(INFRA), general: destination(GENERAL) }, [{ to: 'general' }])));
    tocsin = await startTocsin(tocsin.configPath, { port, output: [] });
    const repeat = await send(tocsin, { title: 'Sandbox-era alert', dedup_key: 'old', severity: 'warning' });
    assert.equal(repeat.body.results[0].result, 'unchanged');
    await waitFor('delivered to general', async () => (await alertsIn(GENERAL, 'app:old')).length === 1);

    // The same destination name, pointed at another alert source (the sandbox database reused by a live config):
    // the active alert is sent to the new target, which has never seen it.
    await tocsin.kill();
    writeFileSync(tocsin.configPath, stringify(config({ infra: destination(INFRA), general: destination(STORAGE) }, [{ to: 'general' }])));
    tocsin = await startTocsin(tocsin.configPath, { port, output: [] });
    await waitFor('sent to the new target', async () => (await alertsIn(STORAGE, 'app:old')).length === 1);
    assert.ok(tocsin.output.some((l) => l.includes('now points at another target')));
  });
});
