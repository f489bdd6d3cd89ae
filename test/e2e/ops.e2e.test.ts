import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ADMIN_TOKEN, APP_TOKEN, BIN, Emulator, ROOT, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const send = (url: string, body: unknown, source = 'app', token = APP_TOKEN) => http('POST', `${url}/ingest/${source}`, { token, body });
const reload = (t: TocsinProcess, token: string | null = ADMIN_TOKEN) => http('POST', `${t.url}/-/reload`, token ? { token } : {});

/** One sample of a metric without labels, or with exactly the labels given. */
async function metric(url: string, name: string): Promise<number | undefined> {
  const text = (await http('GET', `${url}/metrics`)).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : undefined;
}

const logLines = (t: TocsinProcess) =>
  t.output.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, any>];
    } catch {
      return [];
    }
  });

/** Runs the CLI in its own process and collects what it printed; the emulator in this process keeps answering. */
function run(args: string[], env: Record<string, string | undefined>, cwd = ROOT): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, TOCSIN_CONFIG: '', ...env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('operations: reload over HTTP and SIGHUP, metrics, quiet probes', () => {
  let emu: Emulator;
  let tocsin: TocsinProcess;
  let dir: string;
  let port: number;
  let good: ReturnType<typeof gatewayConfig>;

  before(async () => {
    emu = await Emulator.start();
    dir = tempDir();
    port = await freePort();
    good = gatewayConfig(emu, dir, port, { delivery: { poll_interval: '100ms' } });
    tocsin = await startTocsin(writeConfig(dir, good), { port });
  });
  after(async () => {
    await tocsin?.kill();
    await emu?.close();
  });

  test('metrics at start: build info, default process metrics, the last reload successful', async () => {
    const text = (await http('GET', `${tocsin.url}/metrics`)).text;
    assert.match(text, new RegExp(`^tocsin_build_info\\{version="0\\.1\\.0",node_version="${process.version.replace(/\./g, '\\.')}"\\} 1$`, 'm'));
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      assert.match(text, new RegExp(`^${name}[ {]`, 'm'), name);
    }
    assert.equal(await metric(tocsin.url, 'tocsin_config_last_reload_successful'), 1);
    const at = await metric(tocsin.url, 'tocsin_config_last_reload_success_timestamp_seconds');
    assert.ok(at && Math.abs(at - Date.now() / 1000) < 60, `timestamp ${at}`);
  });

  test('POST /-/reload needs the admin token', async () => {
    assert.equal((await reload(tocsin, null)).status, 401);
    const wrong = await reload(tocsin, APP_TOKEN);
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'unauthorized');
  });

  test('POST /-/reload applies a good config, refuses a bad one (metrics say so), and names what needs a restart', async () => {
    const before = (await metric(tocsin.url, 'tocsin_config_last_reload_success_timestamp_seconds'))!;
    await new Promise((r) => setTimeout(r, 1100));

    // Good: a second source appears.
    writeConfig(dir, { ...good, sources: { ...good.sources, ci: { type: 'alerts', token: 'ci-source-token-0123456789' } } });
    const ok = await reload(tocsin);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body, { status: 'reloaded', restart_required: [], warnings: [] });
    assert.equal((await send(tocsin.url, { title: 'Nightly job failed', dedup_key: 'nightly' }, 'ci', 'ci-source-token-0123456789')).status, 202);
    await waitFor('ci alert in incident.io', async () => (await emu.alerts()).some((a) => a.deduplication_key === 'ci:nightly'));
    assert.equal(await metric(tocsin.url, 'tocsin_config_last_reload_successful'), 1);
    const afterGood = (await metric(tocsin.url, 'tocsin_config_last_reload_success_timestamp_seconds'))!;
    assert.ok(afterGood > before, `${afterGood} > ${before}`);

    // Bad: the README's old mistake. Refused in one problem; the previous config stays in force.
    writeFileSync(tocsin.configPath, `${stringify({ ...good, sources: undefined })}sources:\n  app: { type: alerts, token: \${APP_TOKEN} }\n`);
    const bad = await reload(tocsin);
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.error.code, 'invalid_config');
    assert.deepEqual(bad.body.error.details.problems.map((p: { message: string }) => p.message), ['${APP_TOKEN} inside { } or [ ] must be quoted: write "${APP_TOKEN}"']);
    assert.equal(await metric(tocsin.url, 'tocsin_config_last_reload_successful'), 0);
    assert.equal(await metric(tocsin.url, 'tocsin_config_last_reload_success_timestamp_seconds'), afterGood, 'a refused reload keeps the last success time');
    assert.equal((await send(tocsin.url, { title: 'still served', dedup_key: 'ci-2' }, 'ci', 'ci-source-token-0123456789')).status, 202, 'the previous config is still in force');
    await waitFor('the refusal logged', () => logLines(tocsin).some((l) => l.level === 'error' && l.msg.startsWith('reload refused') && l.trigger === 'http'));

    // listen, storage and request_timeout changed: applied otherwise, and said to need a restart; the gateway stays where it was.
    const elsewhere = { ...good, listen: `127.0.0.1:${await freePort()}`, storage: { sqlite: join(dir, 'other.db') }, request_timeout: '45s' };
    writeConfig(dir, elsewhere);
    const restart = await reload(tocsin);
    assert.equal(restart.status, 200, restart.text);
    assert.deepEqual(restart.body.restart_required, ['listen', 'storage', 'request_timeout']);
    assert.equal(await metric(tocsin.url, 'tocsin_config_last_reload_successful'), 1);
    assert.equal((await http('GET', `${tocsin.url}/readyz`)).status, 200, 'still listening on the old address');
    for (const key of ['listen', 'storage', 'request_timeout']) {
      // Log lines reach stdout asynchronously: wait for them rather than race the HTTP answer.
      await waitFor(`the ${key} restart warning`, () => logLines(tocsin).some((l) => l.level === 'warn' && l.msg === `${key} changed in the config: restart tocsin to apply it (the running ${key} is unchanged)`));
    }
    writeConfig(dir, good);
    assert.equal((await reload(tocsin)).status, 200);
  });

  test('SIGHUP takes the same path: applied, refused, metrics and log lines alike', async () => {
    const reloads = () => logLines(tocsin).filter((l) => l.msg === 'configuration reloaded' && l.trigger === 'SIGHUP').length;
    const refusals = () => logLines(tocsin).filter((l) => l.msg.startsWith('reload refused') && l.trigger === 'SIGHUP').length;

    writeConfig(dir, { ...good, sources: { ...good.sources, hup: { type: 'alerts', token: 'hup-source-token-0123456789' } } });
    tocsin.proc.kill('SIGHUP');
    await waitFor('SIGHUP reload', () => reloads() === 1);
    assert.equal((await send(tocsin.url, { title: 'from hup', dedup_key: 'h' }, 'hup', 'hup-source-token-0123456789')).status, 202);

    writeConfig(dir, { ...good, sorces: {} });
    tocsin.proc.kill('SIGHUP');
    await waitFor('SIGHUP refusal', () => refusals() === 1);
    assert.equal(await metric(tocsin.url, 'tocsin_config_last_reload_successful'), 0);
    const refusal = logLines(tocsin).find((l) => l.msg.startsWith('reload refused') && l.trigger === 'SIGHUP')!;
    assert.deepEqual(refusal.problems, [{ path: '', message: 'unknown key(s): sorces' }]);
    assert.equal((await send(tocsin.url, { title: 'from hup', dedup_key: 'h2' }, 'hup', 'hup-source-token-0123456789')).status, 202, 'kept');

    writeConfig(dir, good);
    tocsin.proc.kill('SIGHUP');
    await waitFor('SIGHUP reload again', () => reloads() === 2);
    assert.equal(await metric(tocsin.url, 'tocsin_config_last_reload_successful'), 1);
  });

  test('probes and scrapes are not logged at info; other requests are', async () => {
    const seen = tocsin.output.length;
    for (let i = 0; i < 5; i++) {
      for (const path of ['/healthz', '/readyz', '/metrics']) assert.equal((await http('GET', `${tocsin.url}${path}`)).status, 200);
    }
    assert.equal((await http('GET', `${tocsin.url}/api/v1/alerts?limit=1`, { token: ADMIN_TOKEN })).status, 200);
    const lines = await waitFor('the API request logged', () => {
      const l = logLines({ ...tocsin, output: tocsin.output.slice(seen) }).filter((x) => x.msg === 'request');
      return l.some((x) => x.path === '/api/v1/alerts') ? l : undefined;
    });
    assert.deepEqual(lines.map((l) => l.path), ['/api/v1/alerts']);
  });

  test('config warnings are logged on reload and answered by POST /-/reload', async () => {
    writeConfig(dir, { ...good, routes: [{ match: { 'metadata.team': 'storage' }, to: 'oncall' }] });
    const r = await reload(tocsin);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.warnings.map((w: { path: string }) => w.path), ['routes', 'routes[0].match.metadata.team']);
    await waitFor('the warning logged', () =>
      logLines(tocsin).some((l) => l.level === 'warn' && l.path === 'routes[0].match.metadata.team' && /^config warning: .*write team/.test(l.msg)),
    );
    writeConfig(dir, good);
    assert.equal((await reload(tocsin)).status, 200);
  });
});

describe('operations: the whole config from environment variables', () => {
  let emu: Emulator;
  before(async () => {
    emu = await Emulator.start();
  });
  after(async () => {
    await emu?.close();
  });

  /** `tocsin start` with no config file anywhere (an empty working directory, no TOCSIN_CONFIG). */
  async function startFromEnv(env: Record<string, string>) {
    const port = await freePort();
    const cwd = tempDir();
    const output: string[] = [];
    const proc = spawn(process.execPath, [BIN, 'start'], {
      cwd,
      env: { ...process.env, TOCSIN_CONFIG: '', TOCSIN_LISTEN: `127.0.0.1:${port}`, INCIDENT_IO_BASE_URL: emu.url, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let exited = false;
    const exit = new Promise<void>((r) => proc.once('exit', () => ((exited = true), r())));
    for (const s of [proc.stdout, proc.stderr]) s.on('data', (c: Buffer) => output.push(...c.toString().split('\n').filter(Boolean)));
    const url = `http://127.0.0.1:${port}`;
    await waitFor('tocsin from env', async () => {
      if (exited) throw new Error(`exited early:\n${output.join('\n')}`);
      return (await http('GET', `${url}/readyz`)).status === 200;
    }, 20_000, 100);
    return { url, cwd, output, stop: async () => (exited ? undefined : (proc.kill('SIGTERM'), exit)) };
  }

  test('TOCSIN_SOURCES + tokens + the alert source: an alert reaches incident.io and resolves; no sandbox', async () => {
    const t = await startFromEnv({
      TOCSIN_SOURCES: 'app,alertmanager',
      TOCSIN_SOURCE_APP_TOKEN: APP_TOKEN,
      TOCSIN_SOURCE_ALERTMANAGER_TOKEN: 'am-source-token-0123456789',
      INCIDENT_IO_ALERT_SOURCE_ID: emu.source.id,
      INCIDENT_IO_ALERT_SOURCE_TOKEN: emu.source.token,
      TOCSIN_ADMIN_TOKEN: ADMIN_TOKEN,
      TOCSIN_SQLITE: 'state/tocsin.db',
    });
    try {
      assert.equal((await send(t.url, { title: 'Orders API 5xx above 2%', dedup_key: 'orders-5xx', severity: 'critical' })).status, 202);
      await waitFor('firing in incident.io', async () => (await emu.alerts()).find((a) => a.deduplication_key === 'app:orders-5xx' && a.status === 'firing'));
      // An Alertmanager webhook (version 4) to the second source.
      const am = {
        version: '4', groupKey: '{}:{alertname="DiskFull"}', truncatedAlerts: 0, status: 'firing', receiver: 'tocsin',
        groupLabels: { alertname: 'DiskFull' }, commonLabels: { alertname: 'DiskFull', instance: 'db1' }, commonAnnotations: {}, externalURL: 'http://alertmanager:9093',
        alerts: [{ status: 'firing', labels: { alertname: 'DiskFull', instance: 'db1' }, annotations: { summary: 'Disk full on db1' }, startsAt: '2024-06-01T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus:9090/graph', fingerprint: 'd1f5e3a2b4c6d8e0' }],
      };
      assert.equal((await send(t.url, am, 'alertmanager', 'am-source-token-0123456789')).status, 202);
      await waitFor('alertmanager alert in incident.io', async () => (await emu.alerts()).some((a) => a.deduplication_key === 'alertmanager:d1f5e3a2b4c6d8e0'));
      assert.equal((await send(t.url, { title: 'Orders API 5xx above 2%', dedup_key: 'orders-5xx', status: 'resolved' })).status, 202);
      await waitFor('resolved', async () => (await emu.alerts()).find((a) => a.deduplication_key === 'app:orders-5xx' && a.status === 'resolved'));
      assert.ok(!t.output.some((l) => /SANDBOX/.test(l)), 'no sandbox banner');
      const started = t.output.map((l) => { try { return JSON.parse(l); } catch { return {}; } }).find((l) => l.msg === 'tocsin started');
      assert.equal(started.config, '(environment variables)');
      // A reload re-reads the environment (unchanged for a running process): accepted.
      const r = await http('POST', `${t.url}/-/reload`, { token: ADMIN_TOKEN });
      assert.equal(r.status, 200, r.text);
      assert.ok(!t.output.join('\n').includes(emu.source.token), 'the alert source token is never printed');
    } finally {
      await t.stop();
    }
  });

  test("Versus Incident's variable names, as a Versus user has them set", async () => {
    const t = await startFromEnv({
      TOCSIN_SOURCES: 'versus',
      TOCSIN_SOURCE_VERSUS_TOKEN: 'versus-source-token-0123456789',
      INCIDENTIO_ALERT_SOURCE_CONFIG_ID: emu.source.id,
      INCIDENTIO_API_KEY: emu.source.token,
    });
    try {
      const r = await send(t.url, { Logs: '[ERROR] connection pool exhausted', ServiceName: 'orders', title: 'Orders pool exhausted', dedup_key: 'orders-pool' }, 'versus', 'versus-source-token-0123456789');
      assert.equal(r.status, 202, r.text);
      await waitFor('versus alert in incident.io', async () => (await emu.alerts()).some((a) => a.deduplication_key === 'versus:orders-pool'));
    } finally {
      await t.stop();
    }
  });

  test('an incomplete environment exits 2 naming each missing variable, without starting the sandbox', async () => {
    const r = await run(['start'], { TOCSIN_SOURCES: 'app', TOCSIN_SOURCE_APP_TOKEN: undefined, INCIDENT_IO_ALERT_SOURCE_ID: emu.source.id, INCIDENT_IO_ALERT_SOURCE_TOKEN: undefined, INCIDENTIO_API_KEY: undefined }, tempDir());
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /^tocsin: \(environment variables\): invalid configuration:\n {2}TOCSIN_SOURCE_APP_TOKEN: .+\n {2}INCIDENT_IO_ALERT_SOURCE_TOKEN: that alert source's secret token, not an API key.+\n$/);
    assert.doesNotMatch(r.err + r.out, /SANDBOX/);
  });
});

describe('check-config', () => {
  test('storage.postgres: check-config takes it and never prints the URL; a wrong URL is refused with the same line as start', async () => {
    const dir = tempDir();
    const path = join(dir, 'pg.yaml');
    const secret = 'pg-password-5d1e8c';
    writeFileSync(path, stringify({ storage: { postgres: `postgres://tocsin:${secret}@127.0.0.1:5432/tocsin` }, sources: { app: { type: 'alerts', token: APP_TOKEN } } }));
    const ok = await run(['check-config', '--config', path], {});
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /storage +postgres/);
    assert.ok(!(ok.out + ok.err).includes(secret));
    writeFileSync(path, stringify({ storage: { postgres: 'mysql://tocsin@127.0.0.1/tocsin' }, sources: { app: { type: 'alerts', token: APP_TOKEN } } }));
    const check = await run(['check-config', '--config', path], {});
    const start = await run(['start', '--config', path], {});
    for (const r of [check, start]) {
      assert.equal(r.code, 2, r.err);
      assert.ok(r.err.includes('storage.postgres.url: must be a postgres:// URL'), r.err);
    }
  });

  test('start with a PostgreSQL that does not answer: it waits (healthz 200, readyz 503 naming the database) instead of exiting', async () => {
    const dir = tempDir();
    const [port, dead] = [await freePort(), await freePort()];
    const path = join(dir, 'pg.yaml');
    writeFileSync(path, stringify({ listen: `127.0.0.1:${port}`, storage: { postgres: `postgres://tocsin@127.0.0.1:${dead}/tocsin` }, sources: { app: { type: 'alerts', token: APP_TOKEN } } }));
    const proc = spawn(process.execPath, [BIN, 'start', '--config', path], { cwd: ROOT, stdio: 'ignore' });
    try {
      await waitFor('healthz', async () => (await http('GET', `http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200, 20_000);
      const ready = await http('GET', `http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(ready.text, /ECONNREFUSED|connect/);
      const ingest = await http('POST', `http://127.0.0.1:${port}/ingest/app`, { token: APP_TOKEN, body: { title: 'x' } });
      assert.equal(ingest.status, 503);
      assert.equal(proc.exitCode, null, 'still running');
    } finally {
      proc.kill('SIGKILL');
    }
  });

  test('warnings are printed and the exit code stays 0', async () => {
    const dir = tempDir();
    const path = join(dir, 'w.yaml');
    writeFileSync(path, stringify({
      sources: { dbt: { type: 'dbt', token: APP_TOKEN } },
      destinations: { oncall: { type: 'incident_io_alert_source', alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token: 'alert-source-token-0123456789' } },
      routes: [{ match: { 'metadata.owners': 'data@example.com' }, to: 'oncall' }, { match: { team: 'finance' }, to: 'oncall' }],
    }));
    const r = await run(['check-config', '--config', path], {});
    assert.equal(r.code, 0, r.err);
    const warnings = (r.out + r.err).split('\n').filter((l) => l.startsWith('warning: '));
    assert.equal(warnings.length, 3, r.out + r.err);
    assert.match(warnings[0]!, /^warning: routes: no default route/);
    assert.match(warnings[1]!, /^warning: routes\[0\]\.match\.metadata\.owners: .*write owners/);
    assert.match(warnings[2]!, /^warning: routes\[1\]\.match\.team: no configured source produces the label "team".*did you mean meta\.team\?$/);
  });
});
