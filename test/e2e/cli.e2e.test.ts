import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, APP_TOKEN, BIN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { tocsin } from './cli-helpers.ts';

describe('CLI', () => {
  let emu: Emulator;
  let gw: TocsinProcess;
  let dir: string;
  let config: string;

  before(async () => {
    emu = await Emulator.start();
    dir = tempDir();
    const port = await freePort();
    config = writeConfig(dir, gatewayConfig(emu, dir, port, { delivery: { poll_interval: '100ms' } }));
    gw = await startTocsin(config, { port });
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  test('check-config: ok, and a bad file exits 2 naming the key path', async () => {
    const ok = await tocsin(['check-config', '--config', config]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /ok\n[\s\S]*sources\s+app \(alerts\)/);
    const bad = writeConfig(dir, { sources: { app: { type: 'alerts', token: 'short' } }, destinations: { d: { type: 'incident_io_alert_source' } } }, 'bad.yaml');
    const r = await tocsin(['check-config', '--config', bad]);
    assert.equal(r.code, 2);
    assert.match(r.err, /sources\.app\.token: must be at least 16 characters/);
    assert.match(r.err, /destinations\.d\.alert_source_config_id: the ID of the HTTP alert source/);
    const none = await tocsin(['check-config'], { TOCSIN_CONFIG: '' }, { cwd: tempDir() });
    assert.equal(none.code, 2);
    assert.match(none.err, /no config file/);
  });

  test('test-connection: by default one resolved event with the stable key (no alert raised); --fire fires then resolves; a wrong token fails with the hint', async () => {
    const KEY = 'tocsin-connection-test-oncall';
    const sentWithKey = async () => (await emu.requests()).filter((q) => q.body?.deduplication_key === KEY);
    const r = await tocsin(['test-connection', 'oncall', '--config', config]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /^resolved ok \(HTTP 202, request_id [\w-]+\)/);
    assert.match(r.out, /destination "oncall" works: URL, token and reachability checked with a resolved event for key tocsin-connection-test-oncall; no alert was raised \(--fire for a firing → resolved round trip\)\n$/);
    const once = await sentWithKey();
    assert.deepEqual(once.map((q) => [q.body.status, q.status]), [['resolved', 202]], 'exactly one event, resolved; nothing fired');
    assert.equal((await emu.alerts()).filter((a) => a.deduplication_key === KEY).length, 0, 'incident.io opened no alert');

    const json = JSON.parse((await tocsin(['test-connection', 'oncall', '--config', config, '--json'])).out);
    assert.equal(json.ok, true);
    assert.deepEqual(json.steps.map((s: { status: string; outcome: string; status_code: number }) => [s.status, s.outcome, s.status_code]), [['resolved', 'delivered', 202]]);

    const fire = await tocsin(['test-connection', 'oncall', '--fire', '--config', config]);
    assert.equal(fire.code, 0, fire.err + fire.out);
    assert.match(fire.out, /^firing {3}ok \(HTTP 202.*\nresolved ok \(HTTP 202.*\ndestination "oncall" works \(deduplication key tocsin-connection-test-oncall\)\n$/);
    assert.deepEqual((await sentWithKey()).slice(2).map((q) => q.body.status), ['firing', 'resolved']);
    const alert = (await emu.alerts()).find((a) => a.deduplication_key === KEY);
    assert.equal(alert?.status, 'resolved');

    const wrong = writeConfig(dir, { ...gatewayConfig(emu, dir, 1), destinations: { oncall: { type: 'incident_io_alert_source', alert_source_config_id: emu.source.id, token: 'not-this-sources-token', base_url: emu.url } } }, 'wrong.yaml');
    const f = await tocsin(['test-connection', 'oncall', '--config', wrong]);
    assert.equal(f.code, 1);
    assert.match(f.out, /^resolved FAILED \(HTTP 401, request_id [\w-]+\)/);
    assert.match(f.out, /hint: The alert source token is wrong/);
    assert.equal((await tocsin(['test-connection', 'nope', '--config', config])).code, 2);
  });

  test('send, alerts, deliveries, resolve through a running gateway', async () => {
    const env = { TOCSIN_URL: gw.url, TOCSIN_SOURCE_TOKEN: APP_TOKEN, TOCSIN_ADMIN_TOKEN: ADMIN_TOKEN };
    const s = await tocsin(['send', '--title', 'Nightly ETL late', '--dedup-key', 'etl-late', '--severity', 'warning', '-m', 'team=data', 'job=nightly'], env);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /^created: etl-late \(alert (\w+)\)/);
    const id = /alert (\w+)/.exec(s.out)![1]!;
    await waitFor('alert at incident.io', async () => (await emu.alerts()).some((a) => a.deduplication_key === 'app:etl-late'));
    const list = await tocsin(['alerts', '--status', 'firing'], env);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /ID\s+STATE\s+SEVERITY/);
    assert.match(list.out, new RegExp(`${id}\\s+firing\\s+warning\\s+app\\s+etl-late`));
    const json = JSON.parse((await tocsin(['deliveries', '--json'], env)).out);
    assert.ok(json.deliveries.some((d: { alert_id: string; status: string }) => d.alert_id === id && d.status === 'delivered'));
    const res = await tocsin(['resolve', id], env);
    assert.equal(res.code, 0, res.err);
    assert.match(res.out, /is resolved/);
    await waitFor('resolved at incident.io', async () => (await emu.alerts()).some((a) => a.deduplication_key === 'app:etl-late' && a.status === 'resolved'));
    const wrong = await tocsin(['alerts'], { ...env, TOCSIN_ADMIN_TOKEN: 'nope' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /gateway answered 401: missing or invalid admin token/);
    const down = await tocsin(['alerts'], { ...env, TOCSIN_URL: 'http://127.0.0.1:1' });
    assert.equal(down.code, 1);
    assert.match(down.err, /cannot reach the gateway/);
    assert.equal((await tocsin(['send'], env)).code, 2, 'missing --title is a usage error');
  });
});

test('npm start with no config: sandbox banner, and its curl line delivers to the emulator', async () => {
  const cwd = tempDir('tocsin-sandbox-');
  const [port, emuPort] = [await freePort(), await freePort()];
  const proc = spawn(process.execPath, [BIN, 'start'], {
    cwd,
    env: { ...process.env, TOCSIN_CONFIG: '', TOCSIN_LISTEN: `127.0.0.1:${port}`, TOCSIN_EMULATOR_PORT: String(emuPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  try {
    const banner = await waitFor('banner', () => (err.includes('Resolve it') ? err : undefined), 20_000);
    assert.match(banner, /SANDBOX mode/);
    assert.match(banner, new RegExp(`emulator\\s+http://127.0.0.1:${emuPort}/_emulator/`));
    assert.match(banner, new RegExp(`database\\s+${join(cwd, 'data', 'sandbox.db').replace(/[.\\/]/g, '\\$&')}\\s+\\(the sandbox's own\\)`));
    assert.match(banner, /Other ports: TOCSIN_LISTEN=127\.0\.0\.1:8081 TOCSIN_EMULATOR_PORT=8091 npm start/);
    const curl = /curl -X POST (\S+) -H 'Authorization: Bearer (\S+)'/.exec(banner)!;
    const body = /-d '(.+)'/.exec(banner)![1]!;
    const r = await http('POST', curl[1]!, { token: curl[2]!, raw: body, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 202);
    await waitFor('alert in the sandbox emulator', async () => (await http('GET', `http://127.0.0.1:${emuPort}/_emulator/alerts`)).body.alerts.length === 1);
    // Its own database: ./data/tocsin.db, a live config's default, is left for the live config.
    assert.ok(existsSync(join(cwd, 'data', 'sandbox.db')));
    assert.ok(!existsSync(join(cwd, 'data', 'tocsin.db')));
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
});
