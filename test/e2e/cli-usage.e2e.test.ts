/**
 * A person's mistakes at the command line: each one exits 2 with one line that says what to do, never a stack trace
 * or a page of help; a gateway that does not answer costs --timeout, not a hang.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { ADMIN_TOKEN, Emulator, ROOT, freePort, gatewayConfig, startTocsin, tempDir, writeConfig, type TocsinProcess } from '../harness.ts';
import { oneLineUsageError, tocsin } from './cli-helpers.ts';

describe('CLI usage', () => {
  let emu: Emulator;
  let gw: TocsinProcess;
  let dir: string;
  let config: string;
  let port: number;

  before(async () => {
    emu = await Emulator.start();
    dir = tempDir();
    port = await freePort();
    config = writeConfig(dir, gatewayConfig(emu, dir, port));
    gw = await startTocsin(config, { port });
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await tocsin([flag]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, `${version}\n`);
    }
  });

  test('every usage mistake: exit 2, one line naming the problem, no stack trace, no network', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['alrts'], {}, /^tocsin: unknown command 'alrts' \(Did you mean alerts\?\) \(see: tocsin --help\)$/],
      [['alerts', '--bogus'], {}, /^tocsin: unknown option '--bogus' \(see: tocsin alerts --help\)$/],
      [['alerts', '--limit', 'abc'], {}, /option '--limit <n>' argument 'abc' is invalid\. Give a whole number ≥ 1/],
      [['alerts', '--limit', '0'], {}, /argument '0' is invalid/],
      [['deliveries', '--limit', '2.5'], {}, /argument '2\.5' is invalid/],
      [['alerts', '--all', '--limit', '5'], {}, /--all and --limit do not go together/],
      [['alerts', '--timeout', '0'], {}, /--timeout <seconds>' argument '0' is invalid\. Give a number of seconds above 0/],
      [['alerts', '--gateway', 'localhost:8080'], {}, /--gateway <url>' argument 'localhost:8080' is invalid\. Start it with http:\/\/ or https:\/\//],
      [['alerts', '--gateway', '127.0.0.1:8080'], {}, /argument '127\.0\.0\.1:8080' is invalid\. Not a URL: write it with its scheme, e\.g\. http:\/\/127\.0\.0\.1:8080/],
      [['alerts'], { TOCSIN_URL: 'localhost:8080' }, /^tocsin: TOCSIN_URL "localhost:8080" is not a gateway URL\. Start it with http:\/\//],
      [['dbt', 'run_results.json', '--gateway', 'gw:8080'], {}, /--gateway <url>' argument 'gw:8080' is invalid/],
      [['send'], {}, /required option '--title <title>' not specified/],
      [['alert'], {}, /missing required argument 'alert-id' \(see: tocsin alert --help\)/],
      [['retry'], {}, /say what to retry: a delivery id, --dead or --orphaned/],
      [['retry', '7', '--dead'], {}, /a delivery id or --dead\/--orphaned, not both/],
      [['retry', '--destination', 'oncall'], {}, /--destination goes with --dead or --orphaned/],
      [['emulator', '--port', 'abc'], {}, /^tocsin: --port must be a whole number from 0 to 65535, got "abc"$/],
      [['emulator', '--alert-source', 'justatoken'], {}, /^tocsin: --alert-source takes ID=TOKEN/],
      [['emulator', '--alert-events-per-minute', 'many'], {}, /--alert-events-per-minute must be a positive number, got "many"/],
      [['routes', 'test', 'team', '--config', config], {}, /"team" is not name=value/],
      [['routes', 'test', 'severity=P1', '--config', config], {}, /routes see tocsin's severity, one of critical, error, warning, info/],
      [['routes', 'show', '--config', join(dir, 'missing.yaml')], {}, /missing\.yaml: cannot read config file .*missing\.yaml: ENOENT$/],
      [['test-connection', 'nope', '--config', config], {}, /unknown destination "nope" \(configured: oncall\)/],
    ];
    for (const [args, env, expected] of cases) {
      const r = await tocsin(args, env, { cwd: dir });
      const line = oneLineUsageError(r);
      assert.match(line, expected, `tocsin ${args.join(' ')}`);
      assert.ok(!line.includes('justatoken'), 'a malformed --alert-source is not echoed: it is likely a secret');
    }
  });

  test('port in use: the gateway, the emulator, and the sandbox (naming its variables) exit 2 with one line', async () => {
    const busyGateway = writeConfig(dir, gatewayConfig(emu, dir, port, { storage: { sqlite: join(dir, 'second.db') } }), 'busy.yaml');
    const g = await tocsin(['start', '--config', busyGateway]);
    assert.equal(g.code, 2, g.err);
    assert.match(g.err, new RegExp(`^tocsin: cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use \\(is tocsin already running\\?\\); change listen in the config\\n$`));

    const emuPort = Number(new URL(emu.url).port);
    const e = await tocsin(['emulator', '--port', String(emuPort)]);
    assert.match(oneLineUsageError(e), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${emuPort}: the port is in use; pick another with --port`));

    const cwd = tempDir('tocsin-sandbox-busy-');
    const s = await tocsin(['start'], { TOCSIN_LISTEN: `127.0.0.1:${port}`, TOCSIN_EMULATOR_PORT: String(await freePort()) }, { cwd });
    assert.equal(s.code, 2, s.err);
    assert.match(s.err, new RegExp(`^tocsin: cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use .*; set TOCSIN_LISTEN=127\\.0\\.0\\.1:<port> \\(the sandbox's listen address; TOCSIN_EMULATOR_PORT is its emulator's port\\)\\n$`));

    const se = await tocsin(['start'], { TOCSIN_LISTEN: `127.0.0.1:${await freePort()}`, TOCSIN_EMULATOR_PORT: String(emuPort) }, { cwd });
    assert.match(oneLineUsageError(se), new RegExp(`the sandbox's emulator cannot listen on 127\\.0\\.0\\.1:${emuPort}: the port is in use; set TOCSIN_EMULATOR_PORT to a free port`));
    assert.match(oneLineUsageError(await tocsin(['start'], { TOCSIN_EMULATOR_PORT: 'abc' }, { cwd })), /TOCSIN_EMULATOR_PORT must be a port number from 0 to 65535, got "abc"/);
    assert.match(oneLineUsageError(await tocsin(['start'], { TOCSIN_LISTEN: 'everywhere', TOCSIN_EMULATOR_PORT: '0' }, { cwd })), /TOCSIN_LISTEN must be host:port, e\.g\. 127\.0\.0\.1:8080, got "everywhere"/);
  });

  test('a gateway that never answers: the request gives up after --timeout, exit 1', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const started = Date.now();
      const r = await tocsin(['alerts', '--gateway', url, '--timeout', '0.5', '--admin-token', ADMIN_TOKEN]);
      assert.equal(r.code, 1, r.err);
      assert.equal(r.err, `tocsin: the gateway at ${url} did not answer within 0.5 s (--timeout to wait longer)\n`);
      assert.ok(Date.now() - started < 8_000);
      assert.ok(sockets.length >= 1, 'the request did reach the server');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
