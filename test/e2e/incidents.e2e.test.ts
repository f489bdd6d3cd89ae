/**
 * The incidents destination end to end: tocsin as a child process (so it can be SIGKILLed), the emulator
 * in-process, real HTTP between them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, APP_TOKEN, CLI, Emulator, freePort, http, ROOT, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

const API_KEY = 'inc-e2e-full-key-0123456789abcdef';
const CREATE_LESS_KEY = 'inc-e2e-view-only-key-0123456789';
const SECRETS = [API_KEY, CREATE_LESS_KEY, APP_TOKEN, ADMIN_TOKEN];
const ENV = { INCIDENT_IO_API_KEY: API_KEY };

let emu: Emulator;
const running: TocsinProcess[] = [];

before(async () => {
  emu = await Emulator.start({
    apiKeys: [
      { key: API_KEY, name: 'tocsin' },
      // May read the catalog (so tocsin starts) but not create incidents.
      { key: CREATE_LESS_KEY, name: 'read only', scopes: ['severities.view', 'incident_statuses.view', 'incidents.view'] },
    ],
  });
});
after(async () => {
  for (const t of running) await t.kill('SIGKILL');
  await emu.close();
});

function config(dir: string, port: number, major: Record<string, unknown> = {}) {
  return {
    listen: `127.0.0.1:${port}`,
    storage: { sqlite: join(dir, 'tocsin.db') },
    admin_token: ADMIN_TOKEN,
    log_level: 'info',
    sources: { app: { type: 'alerts', token: APP_TOKEN } },
    destinations: {
      major: {
        type: 'incident_io_incidents',
        api_key: '${INCIDENT_IO_API_KEY}',
        base_url: emu.url,
        severity: { critical: 'Critical', error: 'Major', warning: 'Minor' },
        closed_status: 'Closed',
        on_resolve: 'close',
        ...major,
      },
      readonly: { type: 'incident_io_incidents', api_key: CREATE_LESS_KEY, base_url: emu.url, severity: { critical: 'Critical' } },
    },
    routes: [
      { match: { route: 'readonly' }, to: 'readonly' },
      { match: {}, to: 'major' },
    ],
    delivery: { poll_interval: '100ms' },
  };
}

async function start(dir: string, cfg: Record<string, unknown>): Promise<TocsinProcess> {
  const t = await startTocsin(writeConfig(dir, cfg), { port: Number(String(cfg['listen']).split(':')[1]), env: ENV });
  running.push(t);
  return t;
}

async function ingest(t: TocsinProcess, alert: Record<string, unknown>) {
  const r = await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: alert });
  assert.equal(r.status, 202, r.text);
  return r.body.results[0] as { id: string; result: string };
}

async function deliveries(t: TocsinProcess, query: string): Promise<any[]> {
  return (await http('GET', `${t.url}/api/v1/deliveries?${query}`, { token: ADMIN_TOKEN })).body.deliveries;
}

const incidentsFor = async (key: string) => (await emu.incidents()).filter((i) => i.idempotency_key.startsWith(`tocsin:app:${key}:`));

function run(args: string[], env: Record<string, string> = ENV): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A TCP relay in front of the emulator that can drop incident.io's answers on their way back: the request is
 * processed, the caller never hears. (The emulator's pause gate holds requests before their body is read, and a
 * held request whose caller is killed is dropped, never processed: not the crash this test needs.)
 */
class AnswerDroppingProxy {
  dropAnswers = false;
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<AnswerDroppingProxy> {
    const { hostname, port } = new URL(target);
    let proxy: AnswerDroppingProxy | undefined;
    const server = createServer((client) => {
      const upstream = connect(Number(port), hostname);
      proxy!.sockets.add(client).add(upstream);
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (!proxy!.dropAnswers) client.write(chunk);
      });
      const closeBoth = () => {
        client.destroy();
        upstream.destroy();
      };
      for (const s of [client, upstream]) {
        s.on('close', () => (proxy!.sockets.delete(s), closeBoth()));
        s.on('error', closeBoth);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address() as AddressInfo;
    proxy = new AnswerDroppingProxy(server, `http://127.0.0.1:${address.port}`);
    return proxy;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

function noSecrets(text: string) {
  for (const s of SECRETS) assert.ok(!text.includes(s), 'a secret reached the output');
}

describe('incident_io_incidents end to end', () => {
  let t: TocsinProcess;

  it('one incident per episode, however often the alert fires; closed on resolve; a new one on re-fire', async () => {
    const dir = tempDir();
    t = await start(dir, config(dir, await freePort()));
    const alert = { title: 'Primary database down', dedup_key: 'db-down', severity: 'critical', description: 'Connections refused', metadata: { cluster: 'eu-1' } };
    const first = await ingest(t, alert);
    for (let i = 0; i < 20; i++) await ingest(t, alert);
    for (let i = 0; i < 3; i++) await ingest(t, { ...alert, description: `Connections refused (${i})`, severity: 'error' });

    await waitFor('the queue to drain', async () => (await deliveries(t, `alert_id=${first.id}&status=pending`)).length === 0 && (await deliveries(t, `alert_id=${first.id}&status=in_flight`)).length === 0);
    const [incident, ...more] = await incidentsFor('db-down');
    assert.equal(more.length, 0, 'a second incident was declared');
    assert.equal(incident.idempotency_key, 'tocsin:app:db-down:1');
    assert.equal(incident.severity.name, 'Critical');
    assert.equal(incident.mode, 'standard');
    assert.equal(incident.name, 'Primary database down');
    const created = (await deliveries(t, `alert_id=${first.id}&status=delivered`)).find((d) => d.sends === 'firing' && /^created INC-\d+$/.test(d.hint));
    assert.ok(created, 'the create delivery shows its incident reference');
    assert.equal(created.hint, `created ${incident.reference}`);
    const sent = (await emu.requests('/v2/incidents')).filter((q) => q.body?.idempotency_key === 'tocsin:app:db-down:1' || q.path.startsWith(`/v2/incidents/${incident.id}`));
    assert.equal(sent.length, 1, 'firing updates must not reach incident.io');

    await ingest(t, { ...alert, status: 'resolved' });
    await waitFor('the incident to close', async () => (await incidentsFor('db-down'))[0].incident_status.category === 'closed');
    const closed = await waitFor('the resolve delivery', async () => (await deliveries(t, `alert_id=${first.id}&status=delivered`)).find((d) => d.sends === 'resolved'));
    assert.equal(closed.hint, `closed ${incident.reference}`);

    await ingest(t, alert);
    const second = await waitFor('a new incident for the new episode', async () => (await incidentsFor('db-down')).find((i) => i.idempotency_key === 'tocsin:app:db-down:2'));
    assert.notEqual(second.id, incident.id);
    await ingest(t, { ...alert, status: 'resolved' });
    await waitFor('the second incident to close', async () => (await incidentsFor('db-down')).every((i) => i.incident_status.category === 'closed'));
    assert.equal((await incidentsFor('db-down')).length, 2);
  });

  it('a key without incidents.create dead-letters with a hint naming the permission', async () => {
    const r = await ingest(t, { title: 'Disk full', dedup_key: 'disk-full', severity: 'critical', metadata: { route: 'readonly' } });
    const dead = await waitFor('the dead letter', async () => (await deliveries(t, 'status=dead&destination=readonly')).find((d) => d.alert_id === r.id));
    assert.equal(dead.last_status_code, 403);
    assert.match(dead.hint, /permission to create incidents \(incidents\.create\)/);
    assert.match(dead.last_error, /incidents\.create/);
    assert.ok(dead.request_id);
    assert.equal((await incidentsFor('disk-full')).length, 0);
    await t.kill();
    noSecrets(t.output.join('\n'));
  });

  it('kill -9 after incident.io created the incident but before tocsin heard back: the restart re-sends the same key, still one incident', async () => {
    const proxy = await AnswerDroppingProxy.start(emu.url);
    try {
      const dir = tempDir();
      const cfg = config(dir, await freePort(), { base_url: proxy.url });
      const t1 = await start(dir, cfg);
      proxy.dropAnswers = true;
      const r = await ingest(t1, { title: 'Payments API 5xx', dedup_key: 'payments-5xx', severity: 'error' });
      // incident.io has the incident; its answer never reaches tocsin.
      await waitFor('the incident to exist', async () => (await incidentsFor('payments-5xx')).length === 1);
      await t1.kill('SIGKILL');
      proxy.dropAnswers = false;

      const t2 = await start(dir, cfg);
      const delivered = await waitFor('the retried create to be delivered', async () => (await deliveries(t2, `alert_id=${r.id}&status=delivered`))[0]);
      const [incident, ...more] = await incidentsFor('payments-5xx');
      assert.equal(more.length, 0, 'the restart declared a second incident');
      assert.equal(delivered.hint, `created ${incident.reference}`);
      const creates = (await emu.requests('/v2/incidents')).filter((q) => q.method === 'POST' && q.body?.idempotency_key === 'tocsin:app:payments-5xx:1');
      assert.deepEqual(creates.map((q) => q.effect), ['incident_created', 'idempotent_replay']);

      // The id tocsin stored after the replay is the incident it closes on resolve.
      await ingest(t2, { title: 'Payments API 5xx', dedup_key: 'payments-5xx', status: 'resolved' });
      await waitFor('the incident to close', async () => (await incidentsFor('payments-5xx'))[0].incident_status.category === 'closed');
      await t2.kill();
    } finally {
      await proxy.close();
    }
  });

  it('tocsin test-connection declares a test-mode incident, closes it, and prints its reference', async () => {
    const dir = tempDir();
    const path = writeConfig(dir, config(dir, await freePort()));
    const r = await run(['test-connection', 'major', '--config', path]);
    assert.equal(r.code, 0, r.stderr);
    const ref = /created (INC-\d+) \(test mode\)/.exec(r.stdout)?.[1];
    assert.ok(ref, r.stdout);
    assert.match(r.stdout, new RegExp(`closed ${ref}\\b`));
    noSecrets(r.stdout + r.stderr);
    const incident = (await emu.incidents()).find((i) => i.reference === ref);
    assert.equal(incident.mode, 'test');
    assert.equal(incident.incident_status.category, 'closed');
    assert.equal(incident.severity.name, 'Minor');
  });

  it('unknown names fail with the key path and the valid names: test-connection exits 2', async () => {
    const dir = tempDir();
    const bad = writeConfig(dir, config(dir, await freePort(), { severity: { critical: 'SEV1', error: 'Major' } }));
    const r = await run(['test-connection', 'major', '--config', bad]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /destinations\.major\.severity\.critical: incident\.io has no severity "SEV1"; valid names, least to most severe: "Minor", "Major", "Critical"/);
    noSecrets(r.stderr);

    const notClosed = writeConfig(dir, config(dir, await freePort(), { closed_status: 'Documenting' }), 'closed.yaml');
    const s = await run(['test-connection', 'major', '--config', notClosed]);
    assert.equal(s.code, 2, s.stderr);
    assert.match(s.stderr, /destinations\.major\.closed_status: "Documenting" is a post-incident \(learning\) status, not a closed one/);
  });

  it(
    'unknown names: tocsin start exits 2 naming the key path',
    async () => {
      const dir = tempDir();
      const bad = writeConfig(dir, config(dir, await freePort(), { severity: { critical: 'SEV1' } }));
      const r = await run(['start', '--config', bad]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /destinations\.major\.severity\.critical: incident\.io has no severity "SEV1"; valid names/);
      assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /);
      noSecrets(r.stderr);
    },
  );
});
