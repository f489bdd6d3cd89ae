import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, CLI, Emulator, ROOT, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

/**
 * dbt through the real gateway and the real `tocsin dbt`: an alert's identity does not depend on which artifacts came
 * with the upload (issue 8 §4), routes see dbt's package and meta (§2), and an alert opened by the previous version
 * under its `<project>/<unique_id>` key still resolves after an upgrade.
 */

// The real artifacts of /work/shared/samples/dbt, committed byte for byte beside the parser (testdata/README.md).
const TESTDATA = join(ROOT, 'src/sources/dbt/testdata');
const ODH_RUN = join(TESTDATA, 'opendatahub-1.5-run_results.json');
const ODH_MANIFEST = join(TESTDATA, 'opendatahub-1.5-manifest.json');
const SPRINT_RUN = join(TESTDATA, 'sprint-1.10-run_results.json');
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

const DBT_TOKEN = 'dbt-source-token-0123456789ab';
const NAMED_TOKEN = 'dbt-named-source-token-012345';
const FAILING = 'test.transform.not_null_gppd_power_plants_list_year_of_capacity_data.1a3165a676';
const FAILING_ALL = [FAILING, 'test.transform.unique_gppd_power_plants_list_gppd_idnr.85ac978899', 'test.transform.unique_gppd_power_plants_list_name.37c2d0f477'];

/**
 * The real dbt 1.5 manifest as a dbt ≥ 1.6 project would write it: `metadata.project_name` (added in manifest v10)
 * and the model's `meta: { team: energy }` from its properties file (dbt writes it to both `meta` and `config.meta`).
 */
function manifestV16(): unknown {
  const m = read(ODH_MANIFEST);
  m.metadata.project_name = 'transform';
  const model = m.nodes['model.transform.gppd_power_plants_list'];
  model.meta = { team: 'energy' };
  model.config.meta = { team: 'energy' };
  return m;
}

/** The real run, every test passing, as the next invocation would write it. */
function passingRun(): unknown {
  const run = read(ODH_RUN);
  for (const r of run.results) {
    r.status = 'pass';
    r.failures = 0;
    r.message = null;
  }
  run.metadata.invocation_id = 'a-later-invocation';
  return run;
}

/** A dbt target/ folder: run_results.json, and manifest.json next to it only when given (tocsin dbt finds it there). */
function target(run: unknown, manifest?: unknown): string {
  const dir = tempDir('tocsin-dbt-target-');
  writeFileSync(join(dir, 'run_results.json'), JSON.stringify(run));
  if (manifest) writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return join(dir, 'run_results.json');
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI run without blocking this process: the emulator serves from here, so it must keep answering meanwhile. */
function run(args: string[], opts: { cwd?: string; cli?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', opts.cli ?? CLI, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const dbt = (gateway: string, runResults: string, source = 'dbt', token = DBT_TOKEN, cli?: { cwd: string; cli: string }) =>
  run(['dbt', runResults, '--gateway', gateway, '--source', source], { ...cli, env: { TOCSIN_SOURCE_TOKEN: token } });

const emuAlerts = async (emu: Emulator, key: string) => (await emu.alerts()).filter((a) => a.deduplication_key === key);
const stored = async (gw: TocsinProcess, source: string) =>
  (await http('GET', `${gw.url}/api/v1/alerts?source=${source}&limit=500`, { token: ADMIN_TOKEN })).body.alerts as any[];

const ONCALL = { id: '01JDBTE2E0NCALL000000000000', token: 'emu-oncall-source-token-0123456789', name: 'On-call' };
const ENERGY = { id: '01JDBTE2EENERGY000000000000', token: 'emu-energy-source-token-0123456789', name: 'Energy team' };
const ANALYTICS = { id: '01JDBTE2EANALYTICS000000000', token: 'emu-analytics-source-token-01234567', name: 'Analytics' };

function destinations(emu: Emulator) {
  const to = (s: typeof ONCALL) => ({ type: 'incident_io_alert_source', alert_source_config_id: s.id, token: s.token, base_url: emu.url });
  return { oncall: to(ONCALL), energy: to(ENERGY), analytics: to(ANALYTICS) };
}

describe('dbt: one identity whatever artifacts come along; routes on package and meta', () => {
  let emu: Emulator;
  let gw: TocsinProcess;

  before(async () => {
    emu = await Emulator.start({ alertSources: [ONCALL, ENERGY, ANALYTICS] });
    const dir = tempDir();
    const port = await freePort();
    const config = gatewayConfig(emu, dir, port, {
      sources: { dbt: { type: 'dbt', token: DBT_TOKEN } },
      destinations: destinations(emu),
      routes: [
        { match: { 'meta.team': 'energy' }, to: ['energy'] },
        { match: { package: 'sprint', resource_type: 'test' }, to: ['analytics'] },
        { to: ['oncall'] },
      ],
      delivery: { poll_interval: '100ms' },
    });
    gw = await startTocsin(writeConfig(dir, config), { port });
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  test('fails without a manifest, passes with one (naming the project): one alert, and its resolve reaches incident.io', async () => {
    const first = await dbt(gw.url, target(read(ODH_RUN)));
    assert.equal(first.status, 0, first.stderr + first.stdout);
    assert.match(first.stdout, /10 results → 10 alerts to source "dbt": 3 created, 0 updated, 0 resolved, 7 unchanged \(no manifest/);
    assert.match(first.stdout, new RegExp(`^created {3}${FAILING.replaceAll('.', '\\.')}$`, 'm'));
    const key = `dbt:${FAILING}`;
    await waitFor('the failing test firing in incident.io', async () => (await emuAlerts(emu, key)).find((a) => a.status === 'firing'));

    const second = await dbt(gw.url, target(passingRun(), manifestV16()));
    assert.equal(second.status, 0, second.stderr + second.stdout);
    assert.match(second.stdout, /10 results → 10 alerts to source "dbt": 0 created, 0 updated, 3 resolved, 7 unchanged\n$/);

    await waitFor('the resolve in incident.io', async () => (await emuAlerts(emu, key)).find((a) => a.status === 'resolved'));
    const inIncidentIo = await emuAlerts(emu, key);
    assert.equal(inIncidentIo.length, 1, 'one alert in incident.io, not one per upload shape');
    assert.equal(inIncidentIo[0].alert_source_id, ONCALL.id, 'the resolve went where the alert went (no meta.team when it fired)');
    assert.equal(inIncidentIo[0].events, 2);
    assert.ok((await emu.alerts()).every((a) => !a.deduplication_key.includes('transform/')));

    // A passing test tocsin never saw failing stores nothing; each failing one is one alert, under its unique_id.
    const alerts = await stored(gw, 'dbt');
    assert.deepEqual(alerts.map((a) => [a.dedup_key, a.state]).sort(), FAILING_ALL.map((k) => [k, 'resolved']).sort());
  });

  test('fails with a manifest, passes without: the same alerts again, routed on meta.team, resolved there', async () => {
    const fired = await dbt(gw.url, target(read(ODH_RUN), manifestV16()));
    assert.equal(fired.status, 0, fired.stderr + fired.stdout);
    assert.match(fired.stdout, /3 created, 0 updated, 0 resolved, 7 unchanged\n$/);
    const key = `dbt:${FAILING}`;
    const energy = await waitFor('the failing test firing on the energy team source', async () =>
      (await emuAlerts(emu, key)).find((a) => a.alert_source_id === ENERGY.id && a.status === 'firing'),
    );
    // The sender's (dbt's) facts reach incident.io as they are, with tocsin's additions beside them.
    assert.equal(energy.title, 'dbt test failed: not_null_gppd_power_plants_list_year_of_capacity_data (gppd_power_plants_list)');
    assert.deepEqual(energy.metadata.meta, { team: 'energy' });
    assert.equal(energy.metadata.package, 'transform');
    assert.equal(energy.metadata.project, 'transform');
    assert.equal(energy.metadata.unique_id, FAILING);
    assert.deepEqual([energy.metadata.tocsin_source, energy.metadata.tocsin_severity], ['dbt', 'error']);

    const resolved = await dbt(gw.url, target(passingRun()));
    assert.equal(resolved.status, 0, resolved.stderr + resolved.stdout);
    assert.match(resolved.stdout, /0 created, 0 updated, 3 resolved, 7 unchanged \(no manifest/);
    await waitFor('the resolve on the energy team source', async () => (await emuAlerts(emu, key)).find((a) => a.alert_source_id === ENERGY.id && a.status === 'resolved'));

    const alerts = await stored(gw, 'dbt');
    assert.deepEqual(alerts.map((a) => a.dedup_key).sort(), [...FAILING_ALL].sort(), 'still one stored alert per failing node');
    const failing = alerts.find((a) => a.dedup_key === FAILING);
    assert.equal(failing.episode, 2);
    assert.deepEqual(failing.routed_to, ['energy']);
  });

  test('routes on package: a real dbt 1.10 build without a manifest pages the package\'s team', async () => {
    const r = await dbt(gw.url, SPRINT_RUN);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /133 results → 85 alerts to source "dbt": 2 created, 0 updated, 0 resolved, 83 unchanged/);
    const keys = ['test.sprint.revenue_consistency_weekly', 'test.sprint.dbt_utils_source_expression_is_true_sprint_raw_event_session_createdAt___now_.bcf764fa73'];
    for (const uid of keys) {
      const a = await waitFor(`${uid} on the analytics source`, async () => (await emuAlerts(emu, `dbt:${uid}`)).find((x) => x.status === 'firing'));
      assert.equal(a.alert_source_id, ANALYTICS.id);
      assert.deepEqual([a.metadata.package, a.metadata.resource_type], ['sprint', 'test']);
    }
    const labels = (await stored(gw, 'dbt')).find((a) => a.dedup_key === keys[0]).labels;
    assert.deepEqual([labels.package, labels.resource_type, labels.source], [['sprint'], ['test'], ['dbt']]);
  });
});

// ---- upgrade: alerts opened by the previous version, under `<project>/<unique_id>` ------------------------------------

/** The last commit whose dbt identity was `<project>/<unique_id>` (the parent of the commit that changed it). */
const PREVIOUS = '5d1ca53f4462f5f45fe89180ed311467c6d02d3b';
const hasPrevious = spawnSync('git', ['-C', ROOT, 'cat-file', '-e', `${PREVIOUS}^{commit}`]).status === 0;

/** The previous version's sources in a temp dir, sharing this checkout's node_modules. */
function checkoutPrevious(): string {
  const dir = tempDir('tocsin-previous-');
  const tar = spawnSync('sh', ['-c', `git -C "${ROOT}" archive ${PREVIOUS} src package.json tsconfig.json | tar -x -C "${dir}"`], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`git archive failed: ${tar.stderr}`);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** `tocsin start` of the previous version; stopped with SIGTERM once its alerts are delivered. */
async function startPrevious(dir: string, configPath: string, port: number) {
  const output: string[] = [];
  const proc = spawn(process.execPath, ['--import', 'tsx', join(dir, 'src/cli/main.ts'), 'start', '--config', configPath], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (c: Buffer) => output.push(c.toString()));
  proc.stderr.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the previous version to be ready', async () => {
    if (proc.exitCode !== null) throw new Error(`the previous version exited:\n${output.join('')}`);
    return (await http('GET', `${url}/readyz`)).status === 200;
  }, 30_000, 100);
  return { url, stop: async () => (proc.exitCode === null ? (proc.kill('SIGTERM'), exited) : undefined) };
}

// Outside CI a checkout without history skips this (saying why); CI clones the whole history, so there it must run.
const skip = hasPrevious || process.env.CI === 'true' ? false : `needs the git history (commit ${PREVIOUS})`;
describe('dbt upgrade: alerts stored under <project>/<unique_id> by the previous version', { skip }, () => {
  let emu: Emulator;
  let gw: TocsinProcess | undefined;
  let previousDir: string;
  after(async () => {
    await gw?.kill();
    await emu?.close();
    if (previousDir) rmSync(previousDir, { recursive: true, force: true });
  });

  test('resolve when the new version uploads the pass: by the manifest\'s project name, and by the project option', async () => {
    emu = await Emulator.start();
    previousDir = checkoutPrevious();
    const dir = tempDir();
    const port = await freePort();
    // Written out in full, not from gatewayConfig: both versions must accept it as it is.
    const configPath = writeConfig(dir, {
      listen: `127.0.0.1:${port}`,
      storage: { sqlite: join(dir, 'tocsin.db') },
      admin_token: ADMIN_TOKEN,
      sources: {
        dbt: { type: 'dbt', token: DBT_TOKEN },
        // Before, `project` was the first half of the key; now it is metadata (and an old key to look under).
        'dbt-named': { type: 'dbt', token: NAMED_TOKEN, project: 'warehouse' },
      },
      destinations: { oncall: { type: 'incident_io_alert_source', alert_source_config_id: emu.source.id, token: emu.source.token, base_url: emu.url } },
      delivery: { poll_interval: '100ms' },
    });

    // The previous version, with its own `tocsin dbt`: a manifest naming the project, and the project option.
    const old = await startPrevious(previousDir, configPath, port);
    const previousCli = { cwd: previousDir, cli: join(previousDir, 'src/cli/main.ts') };
    const a = await dbt(old.url, target(read(ODH_RUN), manifestV16()), 'dbt', DBT_TOKEN, previousCli);
    assert.equal(a.status, 0, a.stderr + a.stdout);
    assert.match(a.stdout, new RegExp(`^created {3}transform/${FAILING.replaceAll('.', '\\.')}$`, 'm'), 'the previous version keyed by <project>/<unique_id>');
    const b = await dbt(old.url, target(read(ODH_RUN)), 'dbt-named', NAMED_TOKEN, previousCli);
    assert.match(b.stdout, new RegExp(`^created {3}warehouse/${FAILING.replaceAll('.', '\\.')}$`, 'm'));
    const oldKeys = [`dbt:transform/${FAILING}`, `dbt-named:warehouse/${FAILING}`];
    for (const key of oldKeys) await waitFor(`${key} firing`, async () => (await emuAlerts(emu, key)).find((x) => x.status === 'firing'));
    await old.stop();

    // The new version on the same database; the passing runs come without a manifest, so nothing names the project
    // but the option, and the package in each unique_id.
    gw = await startTocsin(configPath, { port });
    const c = await dbt(gw.url, target(passingRun()), 'dbt');
    assert.equal(c.status, 0, c.stderr + c.stdout);
    assert.match(c.stdout, /0 created, 0 updated, 3 resolved, 7 unchanged/);
    const d = await dbt(gw.url, target(passingRun()), 'dbt-named', NAMED_TOKEN);
    assert.match(d.stdout, /0 created, 0 updated, 3 resolved, 7 unchanged/);

    for (const key of oldKeys) {
      await waitFor(`${key} resolved`, async () => (await emuAlerts(emu, key)).find((x) => x.status === 'resolved'));
      assert.equal((await emuAlerts(emu, key)).length, 1);
    }
    assert.equal((await emu.alerts()).length, 6, 'three alerts per source, each resolved under the key incident.io already had');
    for (const source of ['dbt', 'dbt-named']) {
      const alerts = await stored(gw, source);
      assert.deepEqual(alerts.map((x) => x.dedup_key).sort(), [...FAILING_ALL].sort(), `${source}: re-keyed to the unique_id, nothing new`);
      const failing = alerts.find((x) => x.dedup_key === FAILING);
      assert.equal(failing.state, 'resolved');
      assert.equal(failing.incident_io_dedup_key, source === 'dbt' ? `dbt:transform/${FAILING}` : `dbt-named:warehouse/${FAILING}`);
    }

    // Firing again later opens a new episode under the same incident.io key: nothing forks.
    const again = await dbt(gw.url, target(read(ODH_RUN)), 'dbt');
    assert.match(again.stdout, /3 created/);
    await waitFor('a new episode of the old key', async () => (await emuAlerts(emu, oldKeys[0]!)).find((x) => x.status === 'firing'));
  });
});
