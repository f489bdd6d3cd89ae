/**
 * Reading and acting through the CLI against a running gateway and the emulator: paging past one API page,
 * unrouted alerts, one alert's and one delivery's detail, tables cut to the terminal, and retrying every dead letter
 * of a destination once it is fixed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { tocsin } from './cli-helpers.ts';

const BULK_TOKEN = 'bulk-source-token-0123456789';
const A = { id: '01CLIREADONCALL00000000000', token: 'source-a-secret-token-0001' };
const B = { id: '01CLIREADSTORAGE0000000000', token: 'source-b-secret-token-0002' };
const C = { id: '01CLIREADOTHER000000000000', token: 'source-c-secret-token-0003' };

describe('CLI: reading and retrying', () => {
  let emu: Emulator;
  let gw: TocsinProcess;
  let dir: string;
  let configPath: string;
  let env: Record<string, string>;

  const destination = (s: { id: string; token: string }, token = s.token) => ({ type: 'incident_io_alert_source', alert_source_config_id: s.id, token, base_url: emu.url });
  const configWith = (port: number, destinations: Record<string, unknown>, routes: unknown[]) => ({
    ...gatewayConfig(emu, dir, port),
    sources: { app: { type: 'alerts', token: APP_TOKEN }, bulk: { type: 'alerts', token: BULK_TOKEN } },
    destinations,
    routes,
    delivery: { poll_interval: '100ms', retry_base_delay: '1s' },
  });
  let port: number;
  const reload = async (destinations: Record<string, unknown>, routes: unknown[]) => {
    writeFileSync(configPath, stringify(configWith(port, destinations, routes)));
    const r = await http('POST', `${gw.url}/-/reload`, { token: ADMIN_TOKEN });
    assert.equal(r.status, 200, r.text);
  };
  const json = async (args: string[]) => {
    const r = await tocsin([...args, '--json'], env);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out);
  };
  const routes = [
    { match: { team: 'storage' }, to: 'storage', continue: true },
    { match: { team: 'audit' }, to: 'audit', continue: true },
    { match: { team: 'other' }, to: 'other' },
    { match: { source: 'app' }, to: 'oncall' },
  ];

  before(async () => {
    emu = await Emulator.start({ alertSources: [A, B, C] });
    dir = tempDir();
    port = await freePort();
    configPath = writeConfig(
      dir,
      configWith(
        port,
        // storage has the wrong token until the test fixes it; audit's stays wrong.
        { oncall: destination(A), storage: destination(B, 'not-the-storage-token-xxx'), audit: destination(A, 'not-the-audit-token-xxxxx'), other: destination(C) },
        routes,
      ),
    );
    gw = await startTocsin(configPath, { port });
    env = { TOCSIN_URL: gw.url, TOCSIN_ADMIN_TOKEN: ADMIN_TOKEN, TOCSIN_SOURCE_TOKEN: APP_TOKEN };
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  test('alerts pages past one API page (--all, --limit); --unrouted lists what matched no route', async () => {
    const alerts = Array.from({ length: 620 }, (_, i) => ({ title: `Batch job ${i} failed`, dedup_key: `job-${i}`, severity: 'warning', metadata: { job: `job-${i}` } }));
    const r = await http('POST', `${gw.url}/ingest/bulk`, { token: BULK_TOKEN, body: alerts });
    assert.equal(r.status, 202, r.text);

    const all = await json(['alerts', '--source', 'bulk', '--all']);
    assert.equal(all.alerts.length, 620);
    assert.equal(new Set(all.alerts.map((a: { id: string }) => a.id)).size, 620, 'no alert twice across pages');
    assert.equal(all.more, false);

    const some = await tocsin(['alerts', '--source', 'bulk', '--limit', '550'], env);
    assert.equal(some.code, 0, some.err);
    assert.equal(some.out.trimEnd().split('\n').length, 551, 'a header and 550 rows');
    assert.equal(some.err, 'showing the 550 most recent alerts; there are more: --limit N or --all\n');
    const exact = await tocsin(['alerts', '--source', 'bulk', '--limit', '620'], env);
    assert.equal(exact.out.trimEnd().split('\n').length, 621);
    assert.equal(exact.err, '', 'exactly all of them: nothing more to say');

    const unrouted = await json(['alerts', '--unrouted', '--all']);
    assert.equal(unrouted.alerts.length, 620);
    assert.ok(unrouted.alerts.every((a: { source: string; routed_to: string[] }) => a.source === 'bulk' && a.routed_to.length === 0));
    const text = await tocsin(['alerts', '--unrouted'], env);
    assert.equal(text.out.trimEnd().split('\n').length, 51, 'the default is 50');
    assert.match(text.out, /^\w{26}\s+firing\s+warning\s+bulk\s+job-619\s+\(unrouted\)\s+Batch job 619 failed/m);
    assert.match(text.err, /there are more/);
  });

  test('alert and delivery detail; tables fit the terminal; retry --dead --destination after fixing it', async () => {
    const long = 'Ceph OSD nearfull on storage-node-17: 86% used, rebalancing stalled since the last maintenance window';
    for (const [key, team] of [['osd-17', 'storage'], ['osd-18', 'storage'], ['audit-log', 'audit']] as const) {
      const s = await tocsin(['send', '--title', key === 'osd-17' ? long : `${key} problem`, '--dedup-key', key, '--severity', 'critical', '-m', `team=${team}`, '-m', 'region=eu-west-1'], env);
      assert.equal(s.code, 0, s.err);
    }
    const dead = await waitFor('three dead letters', async () => {
      const d = (await json(['deliveries', '--status', 'dead'])).deliveries;
      return d.length === 3 ? d : undefined;
    });
    assert.deepEqual(dead.map((d: { destination: string }) => d.destination).sort(), ['audit', 'storage', 'storage']);
    const osd17 = (await json(['alerts', '--source', 'app'])).alerts.find((a: { dedup_key: string }) => a.dedup_key === 'osd-17');

    // One alert: where it went, what routes saw, its history and its deliveries.
    await waitFor('osd-17 delivered to oncall', async () => (await emu.alerts()).some((a) => a.deduplication_key === 'app:osd-17'));
    const shown = await tocsin(['alert', osd17.id], env);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, new RegExp(`^alert ${osd17.id}: Ceph OSD nearfull`));
    assert.match(shown.out, /^ {2}routed to {7}storage, oncall$/m);
    assert.match(shown.out, /^ {2}labels {10}.*team=storage/m);
    assert.match(shown.out, /^ {2}labels {10}.*severity=critical/m);
    assert.match(shown.out, /^metadata\n {2}team = storage\n {2}region = eu-west-1$/m);
    assert.match(shown.out, /^transitions\nAT\s+EPISODE\s+KIND\s+FROM → TO\s+ACTOR\n.*\s1\s+created\s+- → firing\s+app$/m);
    assert.match(shown.out, /^\d+\s+storage\s+1\s+dead\s+firing\s+1\s+401\s/m);
    assert.match(shown.out, /^\d+\s+oncall\s+1\s+delivered\s+firing\s+1\s+202\s/m);
    const detail = await json(['alert', osd17.id]);
    assert.deepEqual(detail.alert.routed_to, ['storage', 'oncall']);
    assert.deepEqual(detail.alert.labels.team, ['storage']);

    // One delivery: every attempt, and what to do about it.
    const deadId = detail.deliveries.find((d: { destination: string }) => d.destination === 'storage').id;
    const d = await tocsin(['delivery', String(deadId)], env);
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, new RegExp(`^delivery ${deadId} to storage: dead`));
    assert.match(d.out, /^ {2}hint {12}The alert source token is wrong/m);
    assert.match(d.out, /^attempts\nAT\s+OUTCOME\s+HTTP\s+MS\s+REQUEST_ID\s+ERROR\n\S+ \S+\s+failed\s+401\s+\d+\s+[\w-]+\s/m);
    assert.match(d.out, new RegExp(`send it again once fixed: tocsin retry ${deadId}$`, 'm'));

    // A narrow terminal: every line fits, long cells end in …, ids stay whole.
    const narrow = await tocsin(['alerts', '--source', 'app'], { ...env, COLUMNS: '80' });
    for (const line of narrow.out.trimEnd().split('\n')) assert.ok([...line].length <= 80, `${[...line].length} > 80: ${line}`);
    assert.ok(narrow.out.includes(osd17.id));
    assert.match(narrow.out, /Ceph OSD\S* .*…/);
    const wide = await tocsin(['alerts', '--source', 'app'], env);
    assert.ok(wide.out.includes(long), 'piped without COLUMNS: nothing is cut');

    // Fix storage's token, reload, retry every dead letter of storage only.
    await reload({ oncall: destination(A), storage: destination(B), audit: destination(A, 'not-the-audit-token-xxxxx'), other: destination(C) }, routes);
    const retry = await tocsin(['retry', '--dead', '--destination', 'storage'], env);
    assert.equal(retry.code, 0, retry.err);
    const storageIds = dead.filter((x: { destination: string }) => x.destination === 'storage').map((x: { id: number }) => x.id).sort((a: number, b: number) => a - b);
    assert.equal(retry.out, `2 dead deliveries for storage queued again: ${storageIds.join(', ')}\n`);
    await waitFor('both storage alerts at the storage alert source', async () => {
      const atB = (await emu.requests(`/v2/alert_events/http/${B.id}`)).filter((q) => q.status === 202);
      return new Set(atB.map((q) => q.body.deduplication_key)).size === 2;
    });
    const left = (await json(['deliveries', '--status', 'dead'])).deliveries;
    assert.deepEqual(left.map((x: { destination: string }) => x.destination), ['audit'], 'another destination is left alone');
    const again = await tocsin(['retry', '--dead', '--destination', 'storage'], env);
    assert.equal(again.code, 0, again.err);
    assert.equal(again.out, 'no dead deliveries for storage: nothing to retry\n');
  });

  test('retry --orphaned refuses, with the reason, while the destination is not configured', async () => {
    await emu.fault({ path_prefix: `/v2/alert_events/http/${C.id}`, count: 1000, status: 503 });
    const s = await tocsin(['send', '--title', 'Queue depth high', '--dedup-key', 'queue-depth', '-m', 'team=other'], env);
    assert.equal(s.code, 0, s.err);
    await waitFor('a retrying delivery to other', async () => (await json(['deliveries', '--destination', 'other'])).deliveries.some((x: { attempts: number; status: string }) => x.attempts > 0 && x.status === 'pending'));
    await reload({ oncall: destination(A), storage: destination(B), audit: destination(A, 'not-the-audit-token-xxxxx') }, routes.filter((r) => r.to !== 'other'));
    const orphaned = (await json(['deliveries', '--status', 'orphaned'])).deliveries;
    assert.equal(orphaned.length, 1);
    const r = await tocsin(['retry', '--orphaned'], env);
    assert.equal(r.code, 1);
    assert.equal(r.out, `no orphaned deliveries queued again\nnot retried: delivery ${orphaned[0].id} is for destination "other", which is not configured; add it back to the config and reload\n`);
    assert.equal(r.err, 'tocsin: 1 delivery could not be retried\n');
  });
});
