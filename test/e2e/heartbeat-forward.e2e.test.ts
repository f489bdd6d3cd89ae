/**
 * Heartbeats and incident.io's heartbeat alert sources (`GET|POST /v2/heartbeat/{id}/ping`, emulated): a heartbeat's
 * pings are forwarded there in the background (a refused forward is retried, the sender never waits for it), and
 * self_heartbeat pings one while tocsin is ready. The keys never show in logs, the API or the CLI.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ADMIN_TOKEN, APP_TOKEN, CLI, Emulator, freePort, gatewayConfig, http, ROOT, startTocsin, tempDir, waitFor, writeConfig } from '../harness.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const ETL = { id: '01HBETL00000000000000000AA', token: 'etl-heartbeat-source-token-0123456789' };
/** The folder holding the gateway's database (writeConfig puts the config beside it). */
const dbDir = (configPath: string) => dirname(configPath);
const SELF = { id: '01HBSELF0000000000000000AB', token: 'self-heartbeat-source-token-0123456789' };

async function setup() {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  for (const hb of [ETL, SELF]) assert.equal((await http('POST', `${emu.url}/_emulator/heartbeats`, { body: { ...hb, interval_seconds: 60 } })).status, 201);
  const dir = tempDir();
  const port = await freePort();
  const config = writeConfig(
    dir,
    gatewayConfig(emu, dir, port, {
      heartbeats: {
        'nightly-etl': { every: '1h', forward: { heartbeat_id: ETL.id, api_key: ETL.token, base_url: emu.url } },
        // alert: false — incident.io's heartbeat pages instead; the URL carries its token, as incident.io shows it.
        backup: { every: '1h', alert: false, incident_io: { url: `${emu.url}/v2/heartbeat/${ETL.id}/ping?token=${ETL.token}` } },
      },
      self_heartbeat: { heartbeat_id: SELF.id, api_key: SELF.token, base_url: emu.url, every: '1s' },
    }),
  );
  const t = await startTocsin(config, { port });
  cleanups.push(() => t.kill('SIGKILL'));
  const pings = async (id: string) => ((await http('GET', `${emu.url}/_emulator/heartbeats`)).body.heartbeats as any[]).find((h) => h.id === id);
  return { emu, t, pings };
}

test('forwarded pings reach incident.io; a refused forward is retried; self heartbeat pings while ready; no key shown', async () => {
  const { emu, t, pings } = await setup();

  // The self heartbeat: every second, with the heartbeat source's token as Bearer.
  await waitFor('two self pings', async () => (await pings(SELF.id)).ping_count >= 2, 5000);
  assert.equal((await pings(SELF.id)).pings[0].via, 'bearer');

  // A forward: the ping is answered at once; incident.io hears of it in the background.
  const before = (await pings(ETL.id)).ping_count;
  assert.equal((await http('POST', `${t.url}/heartbeat/nightly-etl`, { token: APP_TOKEN })).status, 200);
  await waitFor('the forwarded ping', async () => (await pings(ETL.id)).ping_count === before + 1, 5000);

  // incident.io refuses twice (503): the sender still gets its 200 at once, and the forward gets through later.
  await emu.fault({ path_prefix: `/v2/heartbeat/${ETL.id}`, count: 2, status: 503 });
  const sent = Date.now();
  assert.equal((await http('POST', `${t.url}/heartbeat/nightly-etl`, { token: APP_TOKEN })).status, 200);
  assert.ok(Date.now() - sent < 3000, 'the sender never waits for incident.io (which answers 503 twice, then with backoff)');
  await waitFor('the retried forward', async () => (await pings(ETL.id)).ping_count === before + 2, 10_000);
  const refused = (await emu.requests(`/v2/heartbeat/${ETL.id}`)).filter((r) => r.status === 503);
  assert.equal(refused.length, 2);

  // The copied ping URL (?token=) works as given; alert: false raises nothing of tocsin's own.
  assert.equal((await http('GET', `${t.url}/heartbeat/backup?token=${APP_TOKEN}`)).status, 200);
  await waitFor('the forward by ?token=', async () => (await pings(ETL.id)).pings.some((p: any) => p.via === 'query'), 5000);

  const listed = (await http('GET', `${t.url}/api/v1/heartbeats`, { token: ADMIN_TOKEN })).body;
  const etl = listed.heartbeats.find((h: any) => h.name === 'nightly-etl');
  assert.equal(etl.forward.to, `${emu.url} heartbeat ${ETL.id}`);
  assert.ok(etl.forward.last_forwarded_at);
  assert.ok(listed.self_heartbeat.last_ping_at);

  const cli = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'heartbeats', '--gateway', t.url, '--admin-token', ADMIN_TOKEN], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /nightly-etl\s+up/);
  assert.match(cli.stdout, /self heartbeat/);

  const shown = [JSON.stringify(listed), cli.stdout, cli.stderr, t.output.join('\n')].join('\n');
  for (const secret of [ETL.token, SELF.token]) assert.ok(!shown.includes(secret), 'a heartbeat key is never shown or logged');
});

test('self heartbeat: no ping while this instance is not ready (database locked), pings again once it is', async () => {
  const { t, pings } = await setup();
  await waitFor('self pings', async () => (await pings(SELF.id)).ping_count >= 1, 5000);
  const lock = new BetterSqlite3(join(dbDir(t.configPath), 'tocsin.db'));
  lock.exec('BEGIN IMMEDIATE');
  try {
    await waitFor('not ready while locked', async () => (await http('GET', `${t.url}/readyz`)).status === 503, 8000, 100);
    await new Promise((r) => setTimeout(r, 1200)); // a round already past its readiness check may still land
    const during = (await pings(SELF.id)).ping_count;
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await pings(SELF.id)).ping_count, during, 'silent while not ready: incident.io would page');
  } finally {
    lock.exec('ROLLBACK');
    lock.close();
  }
  const after = (await pings(SELF.id)).ping_count;
  await waitFor('pings again', async () => (await pings(SELF.id)).ping_count > after, 8000, 100);
  assert.ok(t.output.some((l) => l.includes('self heartbeat: not pinging incident.io while this instance is not ready')));
});
