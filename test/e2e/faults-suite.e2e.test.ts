/**
 * The fault suite (issue 13), end to end through the emulator's fault API: timeouts, connection resets (before the
 * request is read, and mid-answer after it took effect), slow answers, 5xx bursts, 429 with and without Retry-After,
 * and incident.io down for 30 s then back. For each: every accepted transition reaches incident.io, in order per alert
 * (firing before resolved, updates in order), and nothing incident.io would count twice: one alert per dedup key
 * episode (one incident per idempotency key), resolved at the end.
 *
 * One tocsin, one destination (and one emulated alert source) per fault, so faults aimed at one path hit only their
 * scenario. The scenarios run one after another while the 30 s outage runs on a second emulator beside them.
 * Lost answers on the incidents destination are faults-incidents' part; storage faults are faults-storage's.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

type Fault = { count: number; status?: number; retry_after?: number; latency_ms?: number; drop_connection?: boolean; cut_response?: boolean };

const TIMEOUT_MS = 1000;
/** Each scenario's faults, armed once for the firing phase and once again for the resolve phase. */
const SCENARIOS: { name: string; faults: Fault[]; timeoutMs?: number }[] = [
  // No answer within timeout_ms; the emulator then drops the request unprocessed (a hung server, not a lost answer).
  { name: 'timeouts', faults: [{ count: 3, latency_ms: TIMEOUT_MS + 1500, drop_connection: true }] },
  { name: 'resets', faults: [{ count: 2, drop_connection: true }, { count: 2, cut_response: true }] },
  // Slow but well within timeout_ms, even on a loaded machine: a send given up on would still be handled late, after
  // newer states (that is a lost answer, faults-incidents' part). One fault per send the phase is sure to make.
  { name: 'slow', faults: [{ count: 3, latency_ms: 800 }], timeoutMs: 5000 },
  { name: 'server-errors', faults: [{ count: 3, status: 503 }, { count: 2, status: 500 }, { count: 2, status: 502 }, { count: 1, status: 504 }] },
  { name: 'limited', faults: [{ count: 2, status: 429, retry_after: 2 }] },
  { name: 'limited-bare', faults: [{ count: 3, status: 429 }] },
];
const KEYS = ['a', 'b', 'c'];
const OUTAGE_MS = 30_000;
const API_KEY = 'inc-suite-key-0123456789abcdef';

/** incident.io down twice over, side by side: connections refused, and every request answered 503 + Retry-After. */
const OUTAGES = [
  { scenario: 'refused', spec: { mode: 'refuse' } },
  { scenario: 'unavailable', spec: { mode: 'status', status: 503, retry_after: 5 } },
] as const;

let emu: Emulator;
const down = new Map<string, Emulator>();
let t: TocsinProcess;
const sourceId = (name: string) => `01FAULTSUITE${name.replace(/\W/g, '').toUpperCase()}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  emu = await Emulator.start({ alertSources: SCENARIOS.map((s) => ({ id: sourceId(s.name), token: `suite-token-${s.name}-0123456789`, name: s.name })) });
  const dir = tempDir();
  const port = await freePort();
  const destinations: Record<string, unknown> = {};
  for (const { scenario } of OUTAGES) {
    const e = await Emulator.start({ apiKeys: [{ key: API_KEY, name: 'tocsin' }] });
    down.set(scenario, e);
    destinations[`${scenario}-alerts`] = { type: 'incident_io_alert_source', alert_source_config_id: e.source.id, token: e.source.token, base_url: e.url, timeout_ms: TIMEOUT_MS };
    destinations[`${scenario}-incidents`] = { type: 'incident_io_incidents', api_key: API_KEY, base_url: e.url, severity: { critical: 'Critical' }, closed_status: 'Closed', on_resolve: 'close', timeout_ms: TIMEOUT_MS };
  }
  for (const s of SCENARIOS) {
    destinations[s.name] = {
      type: 'incident_io_alert_source',
      alert_source_config_id: sourceId(s.name),
      token: `suite-token-${s.name}-0123456789`,
      base_url: emu.url,
      timeout_ms: s.timeoutMs ?? TIMEOUT_MS,
      rate_limit_per_minute: 600,
      rate_limit_burst: 20,
    };
  }
  const config = {
    listen: `127.0.0.1:${port}`,
    storage: { sqlite: join(dir, 'tocsin.db') },
    admin_token: ADMIN_TOKEN,
    sources: { app: { type: 'alerts', token: APP_TOKEN } },
    destinations,
    routes: [
      ...SCENARIOS.map((s) => ({ match: { scenario: s.name }, to: [s.name] })),
      ...OUTAGES.map(({ scenario }) => ({ match: { scenario }, to: [`${scenario}-alerts`, `${scenario}-incidents`] })),
    ],
    // Short backoff so a scenario takes seconds: first retry 100–200 ms, never more than 2 s apart.
    delivery: { poll_interval: '100ms', retry_base_delay: '200ms', retry_max_delay: '2s', concurrency: 4 },
  };
  t = await startTocsin(writeConfig(dir, config), { port });
});
after(async () => {
  await t?.kill('SIGKILL');
  await emu?.close();
  for (const e of down.values()) await e.close();
});

const title = (key: string, version: number) => `${key} v${version}`;
const versionOf = (titleText: string) => Number(/ v(\d+)$/.exec(titleText)?.[1]);

async function ingest(scenario: string, key: string, change: { version?: number; resolved?: boolean }): Promise<string> {
  const body = {
    dedup_key: key,
    title: title(key, change.version ?? 3),
    severity: 'critical',
    status: change.resolved ? 'resolved' : 'firing',
    metadata: { scenario },
  };
  const r = await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body });
  assert.equal(r.status, 202, r.text);
  return r.body.results[0].id;
}

async function arm(target: Emulator, prefix: string, faults: Fault[]) {
  for (const f of faults) {
    const r = await http('POST', `${target.url}/_emulator/faults`, { body: { path_prefix: prefix, ...f } });
    assert.equal(r.status, 201, r.text);
  }
}

/** Every alert's deliveries finished (none pending or in flight); none dead-lettered or skipped. */
async function settled(alertIds: string[]): Promise<boolean> {
  for (const id of alertIds) {
    const rows: any[] = (await http('GET', `${t.url}/api/v1/deliveries?alert_id=${id}`, { token: ADMIN_TOKEN })).body.deliveries;
    if (rows.length === 0 || rows.some((d) => d.status === 'pending' || d.status === 'in_flight')) return false;
    const bad = rows.filter((d) => d.status !== 'delivered' && d.status !== 'superseded');
    assert.deepEqual(bad, [], `alert ${id}: a delivery ended ${bad[0]?.status}`);
  }
  return true;
}

/**
 * What incident.io applied for one dedup key, in order — retried sends of a lost answer included — must read as
 * the alert's history: firing versions never going back, and nothing firing after the resolve (which would open a
 * second alert). Its alert: exactly one, resolved, with the last firing content.
 */
async function assertHistory(target: Emulator, prefix: string, key: string, lastVersion: number) {
  const dedup = `app:${key}`;
  const applied = (await target.requests(prefix)).filter((r) => r.effect && r.body?.deduplication_key === dedup);
  const story = applied.map((r) => (r.body.status === 'resolved' ? 'resolved' : `v${versionOf(r.body.title)}`));
  const firing = applied.filter((r) => r.body.status === 'firing').map((r) => versionOf(r.body.title));
  assert.deepEqual(firing, [...firing].sort((x, y) => x - y), `${key}: updates out of order: ${story.join(' → ')}`);
  const firstResolve = story.indexOf('resolved');
  assert.ok(firstResolve > 0 && story.slice(firstResolve).every((s) => s === 'resolved'), `${key}: ${story.join(' → ')}`);
  assert.equal(firing.at(-1), lastVersion, `${key}: the last update never arrived: ${story.join(' → ')}`);
  console.log(`${key}: ${story.join(' → ')}`);
  const alerts = (await target.alerts()).filter((a) => a.deduplication_key === dedup);
  assert.equal(alerts.length, 1, `${key}: ${alerts.length} alerts for one episode`);
  assert.equal(alerts[0].status, 'resolved');
  assert.equal(alerts[0].title, title(key, lastVersion));
}

const firingWith = async (target: Emulator, key: string, version: number) =>
  (await target.alerts()).some((a) => a.deduplication_key === `app:${key}` && a.status === 'firing' && a.title === title(key, version));

/** incident.io down for 30 s while alerts fire, update and resolve; then back by itself. */
async function outage(scenario: string, spec: Record<string, unknown>): Promise<{ recoveredInMs: number }> {
  const target = down.get(scenario)!;
  const prefix = `/v2/alert_events/http/${target.source.id}`;
  const [before, during] = [`${scenario}-before`, `${scenario}-during`];
  const ids = [await ingest(scenario, before, {})];
  await waitFor('the alert sent before the outage', () => firingWith(target, before, 3), 15_000);
  await waitFor('the incident declared before the outage', async () => (await target.incidents()).length === 1, 15_000);
  const started = await http('POST', `${target.url}/_emulator/outage`, { body: { duration_ms: OUTAGE_MS, ...spec } });
  assert.equal(started.status, 201, started.text);
  const endsAt = Date.parse(started.body.outage.ends_at);
  await sleep(500);
  await ingest(scenario, before, { resolved: true });
  for (const version of [1, 2, 3]) {
    ids.push(await ingest(scenario, during, { version }));
    await sleep(1000);
  }
  await waitFor('incident.io to be back', async () => (await http('GET', `${target.url}/_emulator/status`)).body.outage === null, OUTAGE_MS + 5_000, 250);
  assert.equal((await target.alerts()).filter((a) => a.deduplication_key === `app:${during}`).length, 0, 'nothing got through the outage');
  const resolved = async () => (await target.alerts()).find((a) => a.deduplication_key === `app:${before}`)?.status === 'resolved';
  await waitFor('the resolve held back by the outage', resolved, 15_000);
  await waitFor('the last update held back by the outage', () => firingWith(target, during, 3), 15_000);
  const recoveredInMs = Date.now() - endsAt;
  await ingest(scenario, during, { resolved: true });
  await waitFor('every delivery to settle', () => settled(ids), 20_000);
  await assertHistory(target, prefix, before, 3);
  await assertHistory(target, prefix, during, 3);
  for (const key of [before, during]) {
    const incidents = (await target.incidents()).filter((i) => i.idempotency_key === `tocsin:app:${key}:1`);
    assert.equal(incidents.length, 1, `${key}: ${incidents.length} incidents for one episode`);
    assert.equal(incidents[0].incident_status.category, 'closed', `${key}: the incident was not closed`);
  }
  return { recoveredInMs };
}

describe('fault suite', () => {
  const outageRuns = new Map<string, Promise<{ recoveredInMs: number }>>();
  before(() => {
    for (const { scenario, spec } of OUTAGES) {
      const run = outage(scenario, spec);
      run.catch(() => {}); // awaited (and reported) by its own test below
      outageRuns.set(scenario, run);
    }
  });

  for (const scenario of SCENARIOS) {
    test(`${scenario.name}: every transition arrives, in order, once`, async () => {
      const prefix = `/v2/alert_events/http/${sourceId(scenario.name)}`;
      await arm(emu, prefix, scenario.faults);
      // Updates follow each other quickly: they queue behind a send in flight, or replace a payload waiting to retry.
      const keys = KEYS.map((k) => `${scenario.name}-${k}`);
      const ids: string[] = [];
      for (const key of keys) ids.push(await ingest(scenario.name, key, { version: 1 }));
      for (const version of [2, 3]) {
        await sleep(150);
        for (const key of keys) await ingest(scenario.name, key, { version });
      }
      await waitFor('the last updates to arrive', async () => (await Promise.all(keys.map((k) => firingWith(emu, k, 3)))).every(Boolean), 30_000);

      await arm(emu, prefix, scenario.faults);
      for (const key of keys) await ingest(scenario.name, key, { resolved: true });
      await waitFor('every delivery to settle', () => settled(ids), 30_000);

      for (const key of keys) await assertHistory(emu, prefix, key, 3);
      const faulted = (await emu.requests(prefix)).filter((r) => r.fault).length;
      const armed = 2 * scenario.faults.reduce((n, f) => n + f.count, 0);
      assert.equal(faulted, armed, 'every armed fault met a send');
    });
  }

  for (const { scenario, spec } of OUTAGES) {
    test(`incident.io down for ${OUTAGE_MS / 1000} s (${scenario}), then back: everything held back arrives, in order, once`, async () => {
      const { recoveredInMs } = await outageRuns.get(scenario)!;
      console.log(`${scenario}: caught up ${(recoveredInMs / 1000).toFixed(1)} s after incident.io was back`);
      // Retries are at most retry_max_delay (2 s) apart, or Retry-After (5 s) apart: the backlog goes out soon after.
      const bound = 'retry_after' in spec ? 10_000 : 8_000;
      assert.ok(recoveredInMs < bound, `caught up ${recoveredInMs} ms after the outage ended`);
    });
  }
});
