/**
 * PostgreSQL goes away under a running cluster (a crash, a failover's restart): ingest answers 503 (Alertmanager and
 * most senders retry that), /readyz fails, the processes stay up and back off; when the server is back everything
 * resumes by itself, and every alert that was answered 202 — before the outage, or queued when it began — reaches
 * incident.io in its final state.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { startServer } from '../postgres.ts';
import { mismatches, type Model } from './cluster-checks.ts';

const PASSWORD = 'db-secret-0f3c9a7e';
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
});

test('PostgreSQL down under two instances: 503 and not ready meanwhile, then everything resumes and nothing accepted is lost', { timeout: 240_000 }, async (t) => {
  const server = await startServer();
  cleanups.push(() => server.stop());
  const admin = new pg.Client({ connectionString: `${server.base}/postgres` });
  await admin.connect();
  await admin.query('create database outage');
  await admin.end();
  const emu = await Emulator.start({ alertEventsPerMinute: 6000 });
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const instances: TocsinProcess[] = [];
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    // A password in the URL (the test server trusts loopback, so it is never checked): it must never be shown.
    const url = `${server.base.replace('postgres@', `postgres:${PASSWORD}@`)}/outage`;
    const config = gatewayConfig(emu, dir, port, { storage: { postgres: url }, cluster: { lease_ttl: '3s' }, delivery: { poll_interval: '100ms', retry_base_delay: '200ms' } });
    Object.assign((config.destinations as Record<string, Record<string, unknown>>).oncall!, { rate_limit_per_minute: 6000, rate_limit_burst: 50 });
    const p = await startTocsin(writeConfig(dir, config, `tocsin-${i}.yaml`), { port });
    cleanups.push(() => p.kill('SIGKILL'));
    instances.push(p);
  }
  const model: Model = new Map();
  const send = async (to: TocsinProcess, key: string, status: 'firing' | 'resolved' = 'firing') => {
    const title = `${key} ${status}`;
    const r = await http('POST', `${to.url}/ingest/app`, { token: APP_TOKEN, body: { title, dedup_key: key, status } });
    if (r.status === 202) model.set(`app:${key}`, { state: status, title });
    return r;
  };

  for (let i = 0; i < 10; i++) assert.equal((await send(instances[i % 2]!, `before-${i}`)).status, 202);
  await waitFor('the first alerts', async () => mismatches(model, await emu.alerts()).length === 0, 15_000);

  // Queued when the server goes: incident.io holds the sends, so some are in flight and some pending.
  await emu.pause();
  for (let i = 0; i < 10; i++) assert.equal((await send(instances[i % 2]!, `queued-${i}`)).status, 202);
  server.down('immediate');
  const downAt = Date.now();
  await emu.resume();

  // During the outage: 503 with Retry-After for senders, not ready, but alive.
  const refused = await waitFor('ingest to answer 503', async () => {
    const r = await send(instances[0]!, 'during');
    return r.status === 503 ? r : undefined;
  });
  assert.ok(refused.headers['retry-after'], 'a 503 says when to retry');
  assert.match(JSON.stringify(refused.body), /cannot store alerts right now/);
  const firstRefusalMs = Date.now() - downAt;
  for (const p of instances) {
    assert.equal((await http('GET', `${p.url}/readyz`)).status, 503);
    assert.equal((await http('GET', `${p.url}/healthz`)).status, 200);
  }
  // A sender that retries, as Alertmanager does, until the cluster takes its alert.
  const retried = (async () => {
    for (let n = 1; ; n++) {
      if ((await send(instances[n % 2]!, 'during', 'firing')).status === 202) return n;
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  await new Promise((r) => setTimeout(r, 5000));
  server.up();
  const upAt = Date.now();
  const tries = await retried;
  const acceptedAfterMs = Date.now() - upAt;
  await waitFor('both ready again', async () => (await Promise.all(instances.map((p) => http('GET', `${p.url}/readyz`)))).every((r) => r.status === 200), 20_000);

  // Resolves after the outage go where their alerts went.
  for (let i = 0; i < 5; i++) assert.equal((await send(instances[(i + 1) % 2]!, `queued-${i}`, 'resolved')).status, 202);
  await waitFor('incident.io to match', async () => mismatches(model, await emu.alerts()).length === 0, 60_000).catch(async (e) => {
    const c = new pg.Client({ connectionString: `${server.base}/outage` });
    await c.connect();
    const rows = (await c.query("select d.id, a.dedup_key, d.status, d.attempts, d.next_attempt_at - extract(epoch from now())*1000 as due_in, d.hint, d.last_error from deliveries d join alerts a on a.id = d.alert_id where a.dedup_key like 'queued%' order by d.id")).rows;
    const leases = (await c.query('select * from leases')).rows;
    await c.end();
    throw new Error(`${(e as Error).message}: ${JSON.stringify(mismatches(model, await emu.alerts()).slice(0, 5))}\ndeliveries: ${JSON.stringify(rows)}\nleases: ${JSON.stringify(leases)}`);
  });
  for (const p of instances) assert.equal(p.proc.exitCode, null, 'no instance exited');
  // Through an outage's worth of connection errors, the database password appears nowhere.
  for (const p of instances) {
    assert.ok(!p.output.join('\n').includes(PASSWORD), 'not in the log');
    for (const path of ['/api/v1/cluster', '/api/v1/destinations', '/api/v1/sources']) {
      assert.ok(!(await http('GET', `${p.url}${path}`, { token: 'admin-token-0123456789abcdef' })).text.includes(PASSWORD), path);
    }
    assert.ok(!(await http('GET', `${p.url}/readyz`)).text.includes(PASSWORD));
  }
  assert.equal((await emu.requests()).filter((r) => r.status === 429).length, 0);
  t.diagnostic(`first 503 ${firstRefusalMs} ms after the server went down; a retrying sender's alert accepted ${acceptedAfterMs} ms after it came back (try ${tries}); ${model.size} alerts matched`);
});
