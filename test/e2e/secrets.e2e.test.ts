import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, APP_TOKEN, CLI, Emulator, ROOT, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig } from '../harness.ts';

const ALERT_SOURCE_TOKEN = 'alert-source-secret-5f2d8c1e9b';
const WRONG_TOKEN = 'wrong-alert-source-secret-77aa1c';

test('no token appears in any log line, API response or CLI output', async () => {
  const emu = await Emulator.start({ alertSources: [{ id: '01GW2G3V0S59R238FAHPDS1R66', token: ALERT_SOURCE_TOKEN }] });
  const dir = tempDir();
  const port = await freePort();
  const good = gatewayConfig(emu, dir, port, { log_level: 'debug', delivery: { poll_interval: '100ms', retry_base_delay: '100ms' } });
  // The second destination's token comes from a *_file secret and is wrong: its error paths must not leak it.
  writeFileSync(join(dir, 'wrong-token'), `${WRONG_TOKEN}\n`);
  const config = {
    ...good,
    destinations: {
      oncall: { ...(good.destinations.oncall as object), token: ALERT_SOURCE_TOKEN },
      broken: { type: 'incident_io_alert_source', alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token_file: join(dir, 'wrong-token'), base_url: emu.url },
    },
    routes: [{ to: ['oncall', 'broken'] }],
  };
  const path = writeConfig(dir, config);
  const tocsin = await startTocsin(path, { port });
  const seen: string[] = [];
  const record = async (p: Promise<{ text: string; headers: Record<string, unknown> }>) => {
    const r = await p;
    seen.push(r.text, JSON.stringify(r.headers));
    return r;
  };
  try {
    await emu.fault({ path_prefix: '/v2/alert_events', count: 2, status: 503 });
    await record(http('POST', `${tocsin.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Secrets scenario', dedup_key: 's1', severity: 'critical' } }));
    await record(http('POST', `${tocsin.url}/ingest/app`, { token: 'not-the-app-token-123456', body: { title: 'x' } }));
    await record(http('POST', `${tocsin.url}/ingest/app?token=${APP_TOKEN}`, { body: { title: 'x' } }));
    await record(http('GET', `${tocsin.url}/api/v1/alerts`, { token: 'not-the-admin-token' }));
    await waitFor('dead letter and delivery', async () => {
      const d = (await http('GET', `${tocsin.url}/api/v1/deliveries`, { token: ADMIN_TOKEN })).body.deliveries;
      return d.some((x: { status: string }) => x.status === 'dead') && d.some((x: { status: string }) => x.status === 'delivered');
    }, 15_000);
    await record(http('POST', `${tocsin.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Secrets scenario', dedup_key: 's1', status: 'resolved' } }));
    await new Promise((r) => setTimeout(r, 500));
    const deliveries = await record(http('GET', `${tocsin.url}/api/v1/deliveries`, { token: ADMIN_TOKEN }));
    for (const d of JSON.parse(deliveries.text).deliveries) await record(http('GET', `${tocsin.url}/api/v1/deliveries/${d.id}`, { token: ADMIN_TOKEN }));
    const alerts = await record(http('GET', `${tocsin.url}/api/v1/alerts`, { token: ADMIN_TOKEN }));
    for (const a of JSON.parse(alerts.text).alerts) await record(http('GET', `${tocsin.url}/api/v1/alerts/${a.id}`, { token: ADMIN_TOKEN }));
    for (const p of ['/api/v1/destinations', '/api/v1/sources']) await record(http('GET', `${tocsin.url}${p}`, { token: ADMIN_TOKEN }));
    for (const p of ['/metrics', '/healthz', '/readyz', '/nope']) await record(http('GET', `${tocsin.url}${p}`));
    await record(http('GET', `${emu.url}/_emulator/requests`));

    for (const args of [['test-connection', 'broken'], ['test-connection', 'oncall'], ['check-config']]) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args, '--config', path], { cwd: ROOT, encoding: 'utf8' });
      seen.push(r.stdout, r.stderr);
    }
    // A config mistake next to a secret: the error names the key, never the value.
    const badPath = writeConfig(dir, { ...config, destinations: { ...config.destinations, oncall: { ...config.destinations.oncall, base_url: `not a url ${ALERT_SOURCE_TOKEN}`, rate_limit_per_minute: 'x' } } }, 'bad.yaml');
    const bad = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'check-config', '--config', badPath], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    seen.push(bad.stdout, bad.stderr);
  } finally {
    await tocsin.kill();
    await emu.close();
  }
  seen.push(...tocsin.output);
  assert.ok(tocsin.output.some((l) => l.includes('"msg":"delivery failed; dead-lettered"')), 'the scenario reached the error paths');
  const all = seen.join('\n');
  for (const [name, secret] of Object.entries({ APP_TOKEN, ADMIN_TOKEN, ALERT_SOURCE_TOKEN, WRONG_TOKEN })) {
    assert.ok(!all.includes(secret), `${name} leaked: …${all.slice(Math.max(0, all.indexOf(secret) - 200), all.indexOf(secret) + 50)}…`);
  }
});
