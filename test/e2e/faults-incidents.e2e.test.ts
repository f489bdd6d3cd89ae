/**
 * Lost answers (§1b): incident.io processes a request but tocsin never reads the answer — the connection drops
 * after processing, or the answer comes later than timeout_ms — and the alert resolves before the retry. A TCP
 * relay between tocsin and the emulator makes the fault real: the emulator really created the incident (or alert).
 * Whatever the path, incident.io must end with exactly one incident (one alert), closed (resolved).
 */
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const API_KEY = 'inc-faults-key-0123456789abcdef';

/**
 * Forwards TCP both ways. Armed with a fault, it acts on the next answer coming back from the emulator: `drop`
 * closes the caller's connection as the answer arrives (the request was processed, the caller hears nothing);
 * `delay` holds the answer for `ms` (longer than the caller waits).
 */
class Relay {
  next: { kind: 'drop' } | { kind: 'delay'; ms: number } | undefined;
  /** How many answers were dropped or delayed. */
  acted = 0;
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<Relay> {
    const { hostname, port } = new URL(target);
    let relay: Relay | undefined;
    const server = createServer((client) => {
      const upstream = connect(Number(port), hostname);
      relay!.sockets.add(client).add(upstream);
      client.pipe(upstream);
      let delayMs = 0;
      upstream.on('data', (chunk: Buffer) => {
        const fault = relay!.next;
        if (fault && delayMs === 0) {
          relay!.next = undefined;
          relay!.acted++;
          if (fault.kind === 'drop') return closeBoth();
          delayMs = fault.ms;
        }
        if (delayMs > 0) setTimeout(() => client.writable && client.write(chunk), delayMs);
        else client.write(chunk);
      });
      const closeBoth = () => {
        client.destroy();
        upstream.destroy();
      };
      for (const s of [client, upstream]) {
        s.on('close', () => (relay!.sockets.delete(s), closeBoth()));
        s.on('error', closeBoth);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    relay = new Relay(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return relay;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

let emu: Emulator;
let relay: Relay;
const running: TocsinProcess[] = [];

before(async () => {
  emu = await Emulator.start({ apiKeys: [{ key: API_KEY, name: 'tocsin' }] });
  relay = await Relay.start(emu.url);
});
after(async () => {
  for (const t of running) await t.kill('SIGKILL');
  await relay.close();
  await emu.close();
});

const TIMEOUT_MS = 1500;

async function start(destination: Record<string, unknown>): Promise<TocsinProcess> {
  const dir = tempDir();
  const port = await freePort();
  const config = {
    listen: `127.0.0.1:${port}`,
    storage: { sqlite: join(dir, 'tocsin.db') },
    admin_token: ADMIN_TOKEN,
    sources: { app: { type: 'alerts', token: APP_TOKEN } },
    destinations: { target: { ...destination, base_url: relay.url, timeout_ms: TIMEOUT_MS } },
    // The first retry comes 4–8 s after a failure: time for the alert to resolve before it.
    delivery: { poll_interval: '100ms', retry_base_delay: '8s' },
  };
  const t = await startTocsin(writeConfig(dir, config), { port });
  running.push(t);
  return t;
}

const incidentsDestination = { type: 'incident_io_incidents', api_key: API_KEY, severity: { critical: 'Critical' }, closed_status: 'Closed', on_resolve: 'close' };
const alertSourceDestination = () => ({ type: 'incident_io_alert_source', alert_source_config_id: emu.source.id, token: emu.source.token });

async function ingest(t: TocsinProcess, alert: Record<string, unknown>): Promise<string> {
  const r = await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: alert });
  assert.equal(r.status, 202, r.text);
  return r.body.results[0].id;
}

async function deliveries(t: TocsinProcess, alertId: string): Promise<any[]> {
  return (await http('GET', `${t.url}/api/v1/deliveries?alert_id=${alertId}`, { token: ADMIN_TOKEN })).body.deliveries;
}

const settled = async (t: TocsinProcess, alertId: string) => {
  const rows = await deliveries(t, alertId);
  return rows.length > 0 && rows.every((d) => !['pending', 'in_flight'].includes(d.status)) ? rows : undefined;
};

/** The retry the lost answer left behind: pending, one attempt, a network error or a timeout. */
const retryPending = (t: TocsinProcess, alertId: string) =>
  waitFor('the create to be left for a retry', async () => (await deliveries(t, alertId)).find((d) => d.status === 'pending' && d.attempts === 1 && d.last_error));

const incidentsFor = async (key: string) => (await emu.incidents()).filter((i) => i.idempotency_key === `tocsin:app:${key}:1`);
const createsFor = async (key: string) => (await emu.requests('/v2/incidents')).filter((q) => q.method === 'POST' && q.path === '/v2/incidents' && q.body?.idempotency_key === `tocsin:app:${key}:1`);

describe('incidents: a create whose answer was lost is settled before the episode closes', () => {
  let t: TocsinProcess;
  before(async () => {
    t = await start(incidentsDestination);
  });

  it('connection dropped after incident.io created the incident, resolved before the retry: one incident, closed', async () => {
    relay.next = { kind: 'drop' };
    const id = await ingest(t, { title: 'Checkout latency', dedup_key: 'drop-then-resolve', severity: 'critical' });
    await waitFor('incident.io to have the incident', async () => (await incidentsFor('drop-then-resolve')).length === 1);
    const left = await retryPending(t, id);
    assert.match(left.last_error, /network error/);
    assert.equal(relay.acted, 1);

    // The resolve is coalesced into the retry row: without settling, it would send nothing and be "delivered".
    await ingest(t, { title: 'Checkout latency', dedup_key: 'drop-then-resolve', status: 'resolved' });
    const rows = await waitFor('the episode to settle', () => settled(t, id), 20_000);
    const [incident, ...more] = await incidentsFor('drop-then-resolve');
    assert.equal(more.length, 0, 'a second incident was declared');
    assert.equal(incident.incident_status.category, 'closed');
    assert.deepEqual((await createsFor('drop-then-resolve')).map((q) => q.effect), ['incident_created', 'idempotent_replay']);
    const done = rows.find((d) => d.sends === 'resolved');
    assert.equal(done.status, 'delivered');
    assert.equal(done.hint, `found ${incident.reference} (declared by an earlier attempt whose answer was lost); closed ${incident.reference}`);
  });

  it('answer slower than timeout_ms, resolved while the create is in flight: one incident, closed', async () => {
    relay.next = { kind: 'delay', ms: TIMEOUT_MS + 2000 };
    const id = await ingest(t, { title: 'Queue backlog', dedup_key: 'slow-then-resolve', severity: 'critical' });
    await waitFor('incident.io to have the incident', async () => (await incidentsFor('slow-then-resolve')).length === 1);
    // The create is still waiting for its answer: the resolve queues behind it as a row of its own.
    await ingest(t, { title: 'Queue backlog', dedup_key: 'slow-then-resolve', status: 'resolved' });
    const rows = await waitFor('the episode to settle', () => settled(t, id), 20_000);
    const [incident, ...more] = await incidentsFor('slow-then-resolve');
    assert.equal(more.length, 0, 'a second incident was declared');
    assert.equal(incident.incident_status.category, 'closed');
    const create = rows.find((d) => d.sends === 'firing');
    assert.equal(create.status, 'superseded');
    assert.match(create.last_error, /timed out after 1500 ms/);
    assert.equal(rows.find((d) => d.sends === 'resolved').status, 'delivered');
  });

  it('answer slower than timeout_ms, resolved before the retry: one incident, closed', async () => {
    relay.next = { kind: 'delay', ms: TIMEOUT_MS + 2000 };
    const id = await ingest(t, { title: 'Disk latency', dedup_key: 'slow-retry-resolve', severity: 'critical' });
    await retryPending(t, id);
    assert.equal((await incidentsFor('slow-retry-resolve')).length, 1);
    await ingest(t, { title: 'Disk latency', dedup_key: 'slow-retry-resolve', status: 'resolved' });
    await waitFor('the episode to settle', () => settled(t, id), 20_000);
    const [incident, ...more] = await incidentsFor('slow-retry-resolve');
    assert.equal(more.length, 0);
    assert.equal(incident.incident_status.category, 'closed');
  });

  it('a create incident.io refused (429) and a resolve before the retry: no incident is opened just to be closed', async () => {
    await emu.fault({ path_prefix: '/v2/incidents', count: 1, status: 429, retry_after: 5 });
    const id = await ingest(t, { title: 'Cache misses', dedup_key: 'refused-then-resolve', severity: 'critical' });
    await retryPending(t, id);
    await ingest(t, { title: 'Cache misses', dedup_key: 'refused-then-resolve', status: 'resolved' });
    const rows = await waitFor('the episode to settle', () => settled(t, id), 20_000);
    assert.equal((await incidentsFor('refused-then-resolve')).length, 0);
    assert.deepEqual((await createsFor('refused-then-resolve')).filter((q) => q.effect), [], 'a create reached incident.io');
    assert.equal(rows.find((d) => d.sends === 'resolved').hint, 'no incident was declared for this episode; nothing to resolve');
  });
});

describe('alert source: the same lost answers end with one alert, resolved', () => {
  let t: TocsinProcess;
  before(async () => {
    t = await start(alertSourceDestination());
  });

  const alertsFor = async (key: string) => (await emu.alerts()).filter((a) => a.deduplication_key === `app:${key}`);

  for (const [name, fault, inFlight] of [
    ['connection dropped after processing, resolved before the retry', { kind: 'drop' }, false],
    ['answer slower than timeout_ms, resolved before the retry', { kind: 'delay', ms: TIMEOUT_MS + 2000 }, false],
    ['answer slower than timeout_ms, resolved while the event is in flight', { kind: 'delay', ms: TIMEOUT_MS + 2000 }, true],
  ] as const) {
    it(name, async () => {
      const key = `as-${name.replace(/\W+/g, '-')}`;
      relay.next = fault;
      const id = await ingest(t, { title: 'Replica lag', dedup_key: key, severity: 'critical' });
      await waitFor('incident.io to have the alert', async () => (await alertsFor(key)).length === 1);
      if (!inFlight) await retryPending(t, id);
      await ingest(t, { title: 'Replica lag', dedup_key: key, status: 'resolved' });
      await waitFor('the episode to settle', () => settled(t, id), 20_000);
      const [alert, ...more] = await alertsFor(key);
      assert.equal(more.length, 0, 'a second alert was opened');
      assert.equal(alert.status, 'resolved');
    });
  }
});
