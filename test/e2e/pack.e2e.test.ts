/**
 * The release package as a user gets it: `npm pack` (its prepack builds dist/) in a copy of the checkout, installed from the tarball into an
 * empty prefix the way docs/deployment.md and deploy/tocsin.service do it (`npm install --global --prefix`), then run
 * from there, away from the checkout and without dev dependencies: no tsx, no TypeScript, only compiled JavaScript.
 *
 * Speed: the install skips install scripts and takes better-sqlite3's native addon from the checkout (the same
 * version, already compiled by `npm ci`), since compiling SQLite again costs about 90 s of CPU; everything of
 * tocsin's own — files, bin, dependencies, assets — is what the tarball installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { APP_TOKEN, freePort, http, ROOT, tempDir, waitFor } from '../harness.ts';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };

const work = tempDir('tocsin-pack-');
const prefix = join(work, 'prefix');
const installed = join(prefix, 'lib/node_modules/tocsin');
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };
let figures = '';

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true }); // the installed prefix alone is ≈ 70 MB
});

/** Files a running tocsin needs, and files it must not ship. */
const REQUIRED = ['package.json', 'README.md', 'LICENSE', 'bin/tocsin.js', 'dist/cli/main.js', 'dist/destinations/incident-io/openapi/schemas.json', 'dist/ui/static/index.html', 'dist/ui/static/app.js', 'deploy/tocsin.service', 'docs/deployment.md', 'tocsin.example.yaml'];
const FORBIDDEN = [/^src\//, /^docs\/screenshots\//, /^test\//, /^bench\//, /^scripts\//, /^tsconfig/, /\.ts$/, /\.test\.js$/, /test-client/, /testdata/, /^data\//, /\.db$/];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => !p.startsWith('node_modules') && statSync(join(dir, p)).isFile())
    .map((p) => p.split('\\').join('/'));
}

/** `tocsin …` from the installed package, with the environment of a machine that never saw the checkout. */
function env(): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TOCSIN_|INCIDENT_?IO_|NODE_OPTIONS$|npm_)/.test(k)));
  return { ...clean, PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` };
}

function startInstalled(argv: string[], cwd: string): { proc: ChildProcess; output: string[] } {
  const output: string[] = [];
  const proc = spawn(argv[0]!, argv.slice(1), { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  for (const s of [proc.stdout!, proc.stderr!]) s.on('data', (c: Buffer) => output.push(...c.toString().split('\n').filter(Boolean)));
  return { proc, output };
}

/**
 * A copy of the checkout to pack from (its node_modules linked), so the build never replaces the dist/ of the checkout
 * itself under a `tocsin` another test is starting from it. Everything but what is never part of a release is copied,
 * tests and benchmarks included: the package's `files` list is what must keep them out.
 */
function stageCheckout(): string {
  const stage = join(work, 'checkout');
  const skipped = (top: string) => ['node_modules', 'dist', 'data'].includes(top) || (top.startsWith('.') && !top.startsWith('.npmignore'));
  cpSync(ROOT, stage, { recursive: true, filter: (from) => !skipped(relative(ROOT, from).split(sep)[0]!) });
  symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
  return stage;
}

before(async () => {
  // --json: the tarball's name, sizes and file list (the build's own line comes first on stdout).
  const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: stageCheckout(), encoding: 'utf8' });
  assert.equal(pack.status, 0, `npm pack failed:\n${pack.stderr}`);
  packed = (JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[/m))) as (typeof packed)[])[0]!;

  const t0 = performance.now();
  const install = spawnSync(
    'npm',
    ['install', '--global', '--prefix', prefix, join(work, packed.filename), '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'],
    { cwd: work, encoding: 'utf8' },
  );
  assert.equal(install.status, 0, `npm install failed:\n${install.stderr}`);
  const addon = 'build/Release/better_sqlite3.node';
  const theirs = join(installed, 'node_modules/better-sqlite3');
  const ours = join(ROOT, 'node_modules/better-sqlite3');
  const version = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(version(theirs), version(ours), 'the package resolves the better-sqlite3 the lockfile pins');
  mkdirSync(join(theirs, 'build/Release'), { recursive: true });
  copyFileSync(join(ours, addon), join(theirs, addon));
  figures = `package ${packed.filename}: ${(packed.size / 1024).toFixed(0)} kB packed, ${(packed.unpackedSize / 1024).toFixed(0)} kB unpacked, ${packed.files.length} files; installed in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
});

test('the package holds the build, the unit file and the docs; no sources, tests, benchmarks or dev tools', (t) => {
  t.diagnostic(figures);
  const inTarball = packed.files.map((f) => f.path);
  const onDisk = filesUnder(installed);
  for (const [where, files] of [
    ['tarball', inTarball],
    ['installed package', onDisk],
  ] as const) {
    for (const f of REQUIRED) assert.ok(files.includes(f), `${where} lacks ${f}`);
    const unwanted = files.filter((f) => FORBIDDEN.some((re) => re.test(f)));
    assert.deepEqual(unwanted, [], `${where} ships files it does not need`);
  }
  for (const dev of ['typescript', 'tsx', 'fast-check', '@types/node']) {
    assert.ok(!existsSync(join(installed, 'node_modules', dev)), `${dev} is a dev dependency: not installed`);
  }
  for (const dep of Object.keys(pkg.dependencies)) assert.ok(existsSync(join(installed, 'node_modules', dep)), `${dep} installed`);
});

test('tocsin --version and check-config run from the installed package, away from the checkout', async () => {
  const cwd = tempDir();
  const version = await run(join(prefix, 'bin/tocsin'), ['--version'], { cwd, env: env() });
  assert.equal(version.stdout.trim(), pkg.version);

  const config = join(cwd, 'tocsin.yaml');
  writeFileSync(config, `storage: { sqlite: ${join(cwd, 'tocsin.db')} }\nsources:\n  app: { type: alerts, token: "\${APP_TOKEN}" }\n`);
  const ok = await run(join(prefix, 'bin/tocsin'), ['check-config', '--config', config], { cwd, env: { ...env(), APP_TOKEN } });
  assert.match(ok.stdout, /: ok\n/);

  writeFileSync(config, 'sources:\n  app: { type: alerts, token: short }\n');
  const bad = await run(join(prefix, 'bin/tocsin'), ['check-config', '--config', config], { cwd, env: env() }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /sources\.app\.token: must be at least 16 characters/);
});

test("a gateway started by the unit file's ExecStart accepts an alert and delivers it to the installed package's emulator", async () => {
  const unit = readFileSync(join(ROOT, 'deploy/tocsin.service'), 'utf8');
  const execStart = /^ExecStart=(.+)$/m.exec(unit)?.[1]?.trim().split(/\s+/) ?? [];
  assert.deepEqual(execStart, ['/opt/tocsin/bin/tocsin', 'start', '--config', '/etc/tocsin/tocsin.yaml'], 'the unit runs the binary the global install puts in /opt/tocsin/bin');
  const state = /^WorkingDirectory=(.+)$/m.exec(unit)?.[1];
  assert.equal(state, `/var/lib/${/^StateDirectory=(.+)$/m.exec(unit)?.[1]}`, 'it runs in its StateDirectory');

  const dir = tempDir();
  const emuPort = await freePort();
  const source = { id: '01GW2G3V0S59R238FAHPDS1R66', token: 'emulated-alert-source-token-0123456789' };
  const emu = startInstalled([join(prefix, 'bin/tocsin'), 'emulator', '--port', String(emuPort), '--alert-source', `${source.id}=${source.token}`], dir);
  const emuUrl = `http://127.0.0.1:${emuPort}`;
  await waitFor('the emulator', async () => (await http('GET', `${emuUrl}/_emulator/alerts`)).status === 200, 20_000, 100);

  const port = await freePort();
  const config = join(dir, 'tocsin.yaml');
  writeFileSync(
    config,
    [
      `listen: 127.0.0.1:${port}`,
      `storage: { sqlite: ${join(dir, 'tocsin.db')} }`,
      'sources:',
      `  app: { type: alerts, token: ${APP_TOKEN} }`,
      'destinations:',
      `  oncall: { type: incident_io_alert_source, alert_source_config_id: ${source.id}, token: ${source.token}, base_url: "${emuUrl}" }`,
      'delivery: { poll_interval: 200ms }',
      '',
    ].join('\n'),
  );
  const argv = execStart.map((a) => a.replace('/opt/tocsin', prefix).replace('/etc/tocsin/tocsin.yaml', config));
  const gw = startInstalled(argv, dir);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'the gateway to be ready',
    async () => {
      if (gw.proc.exitCode !== null) throw new Error(`tocsin exited:\n${gw.output.join('\n')}`);
      return (await http('GET', `${url}/readyz`)).status === 200;
    },
    20_000,
    100,
  );

  const r = await http('POST', `${url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Orders API 5xx above 2%', dedup_key: 'orders-5xx', severity: 'critical' } });
  assert.equal(r.status, 202, r.text);
  const alerts = await waitFor('the alert in the emulator', async () => {
    const a = (await http('GET', `${emuUrl}/_emulator/alerts`)).body.alerts as { deduplication_key: string; status: string }[];
    return a.length ? a : undefined;
  });
  assert.deepEqual(
    alerts.map((a) => [a.deduplication_key, a.status]),
    [['app:orders-5xx', 'firing']],
  );

  // The web UI's files are read beside the compiled code, as the OpenAPI schemas are.
  for (const path of ['/ui/', '/ui/assets/app.js', '/ui/assets/app.css']) assert.equal((await http('GET', `${url}${path}`)).status, 200, path);

  const exited = new Promise<number | null>((res) => gw.proc.once('close', (code) => res(code)));
  gw.proc.kill('SIGTERM');
  assert.equal(await exited, 0, gw.output.join('\n'));
  assert.ok(!gw.output.some((l) => /tsx|ERR_/.test(l)), 'ran compiled JavaScript, cleanly');
  emu.proc.kill('SIGTERM');
});

test('systemd-analyze verify accepts the unit file (with the installed binary in place of /opt/tocsin)', { skip: spawnSync('systemd-analyze', ['--version']).error ? 'systemd-analyze is not installed' : false }, () => {
  const dir = tempDir();
  const unit = join(dir, 'tocsin.service');
  writeFileSync(unit, readFileSync(join(ROOT, 'deploy/tocsin.service'), 'utf8').replaceAll('/opt/tocsin', prefix));
  const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
  assert.equal(verify.status, 0, `${verify.stdout}${verify.stderr}`);
  assert.equal(verify.stderr.trim(), '', 'no warnings');
});
