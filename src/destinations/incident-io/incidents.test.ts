/** The incidents destination against the in-process emulator: real HTTP, no mocks. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import type { JsonObject } from '../../domain/alert.ts';
import { startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { call } from '../../emulator/test-client.ts';
import { DestinationConfigError } from '../registry.ts';
import type { DeliveryPayload, Destination, SendOutcome } from '../types.ts';
import { incidentsConfig } from './incidents-config.ts';
import { incidentsDestination } from './incidents.ts';

const FULL = 'inc-full-key-0123456789abcdef';
const VIEW_ONLY = 'inc-view-only-key-0123456789';
const NO_EDIT = 'inc-no-edit-key-0123456789ab';
const NO_OPT_OUT = 'inc-no-opt-out-key-012345678';
const VIEW = ['severities.view', 'incident_statuses.view', 'incidents.view'];
const SECRETS = [FULL, VIEW_ONLY, NO_EDIT, NO_OPT_OUT];

let emu: RunningEmulator;
const silent = pino({ level: 'silent' });
const open: Destination[] = [];

before(async () => {
  emu = await startEmulator({
    apiKeys: [
      { key: FULL, name: 'tocsin' },
      { key: VIEW_ONLY, name: 'view only', scopes: VIEW },
      { key: NO_EDIT, name: 'no edit', scopes: [...VIEW, 'incidents.create'] },
      { key: NO_OPT_OUT, name: 'no opt-out', scopes: [...VIEW, 'incidents.create', 'incidents.edit'] },
    ],
  });
});
after(async () => {
  await Promise.all(open.map((d) => d.close?.()));
  await emu.close();
});
beforeEach(async () => {
  await call(emu.url, 'POST', '/_emulator/reset');
});

async function destination(over: Record<string, unknown> = {}): Promise<Destination> {
  const config = incidentsConfig.parse({
    type: 'incident_io_incidents',
    api_key: FULL,
    base_url: emu.url,
    severity: { critical: 'Critical', error: 'Major', warning: 'minor' },
    closed_status: 'Closed',
    ...over,
  });
  const d = await incidentsDestination.create('major', config, { logger: silent });
  open.push(d);
  return d;
}

let n = 0;
const payload = (over: Partial<DeliveryPayload> = {}): DeliveryPayload => ({
  alertId: `01J${++n}`,
  source: 'app',
  dedupKey: 'orders-5xx',
  externalKey: `app:orders-5xx-${n}`,
  episode: 1,
  status: 'firing',
  title: 'Orders 5xx',
  description: 'Error rate over 5%',
  severity: 'critical',
  metadata: { service: 'orders' },
  at: Date.UTC(2025, 0, 2, 3, 4, 5),
  ...over,
});

const incidents = async () => (await call(emu.url, 'GET', '/_emulator/incidents')).json.incidents as any[];
const requests = async () => (await call(emu.url, 'GET', '/_emulator/requests?path_prefix=/v2/incidents')).json.requests as any[];

function noSecrets(o: SendOutcome) {
  const text = JSON.stringify(o);
  for (const s of SECRETS) assert.ok(!text.includes(s), 'an outcome carries an API key');
}

function delivered(o: SendOutcome): asserts o is Extract<SendOutcome, { kind: 'delivered' }> {
  noSecrets(o);
  assert.equal(o.kind, 'delivered', JSON.stringify(o));
}
function failed(o: SendOutcome): asserts o is Extract<SendOutcome, { kind: 'failed' }> {
  noSecrets(o);
  assert.equal(o.kind, 'failed', JSON.stringify(o));
}

describe('incidents destination', () => {
  it('declares one incident per episode: a lost answer and a repeat get the same incident back', async () => {
    const d = await destination();
    const p = payload();
    const first = await d.send(p, undefined);
    delivered(first);
    assert.equal(first.detail, 'created INC-1');
    assert.equal(first.state?.['incident_id'], (await incidents())[0].id);
    assert.equal(first.state?.['reference'], 'INC-1');

    // The answer was lost (crash, timeout): the same episode sends the same idempotency key.
    const again = await d.send(p, undefined);
    delivered(again);
    assert.equal(again.state?.['incident_id'], first.state?.['incident_id']);

    const [incident, ...rest] = await incidents();
    assert.equal(rest.length, 0);
    assert.equal(incident.name, 'Orders 5xx');
    assert.equal(incident.severity.name, 'Critical');
    assert.equal(incident.mode, 'standard');
    assert.equal(incident.visibility, 'public');
    assert.equal(incident.idempotency_key, `tocsin:${p.externalKey}:1`);
    assert.match(incident.summary, /Error rate over 5%[\s\S]*Source: app · severity: critical[\s\S]*- service: orders/);
  });

  it('a firing update while the incident is open sends nothing', async () => {
    const d = await destination();
    const first = await d.send(payload(), undefined);
    delivered(first);
    const before = (await requests()).length;
    const update = await d.send(payload({ title: 'Orders 5xx — worse', severity: 'warning' }), first.state);
    delivered(update);
    assert.match(update.detail!, /INC-1 already declared/);
    assert.equal(update.state, undefined);
    assert.equal((await requests()).length, before);
  });

  it('maps severities by the rank fallback: info → the lowest', async () => {
    const d = await destination({ severity: { critical: 'Critical' } });
    delivered(await d.send(payload({ severity: 'error' }), undefined));
    delivered(await d.send(payload({ severity: undefined }), undefined));
    assert.deepEqual((await incidents()).map((i) => i.severity.name), ['Minor', 'Minor']);
  });

  it('closes on resolve with the configured closed status, and a second resolve sends nothing', async () => {
    const d = await destination();
    const p = payload();
    const created = await d.send(p, undefined);
    delivered(created);
    const closed = await d.send({ ...p, status: 'resolved' }, created.state);
    delivered(closed);
    assert.equal(closed.detail, 'closed INC-1');
    assert.equal(closed.state?.['finished'], true);
    const [incident] = await incidents();
    assert.equal(incident.incident_status.category, 'closed');
    const edit = (await requests()).find((r) => r.path.endsWith('/actions/edit'));
    assert.deepEqual(edit.body, { incident: { incident_status_id: incident.incident_status.id }, notify_incident_channel: true });
    const twice = await d.send({ ...p, status: 'resolved' }, closed.state);
    delivered(twice);
    assert.equal(twice.statusCode, 0);
  });

  it('a resolve with no incident declared is delivered without a request', async () => {
    const d = await destination();
    const o = await d.send(payload({ status: 'resolved' }), undefined);
    delivered(o);
    assert.match(o.detail!, /no incident was declared/);
    assert.equal((await requests()).length, 0);
  });

  it('on_resolve: summary_only reads the summary, appends the resolution once, and leaves the incident open', async () => {
    const d = await destination({ on_resolve: 'summary_only' });
    const p = payload();
    const created = await d.send(p, undefined);
    delivered(created);
    const noted = await d.send({ ...p, status: 'resolved' }, created.state);
    delivered(noted);
    const [incident] = await incidents();
    assert.match(incident.summary, /Declared by tocsin[\s\S]*\n\nResolved at 2025-01-02T03:04:05Z: the alert cleared \(tocsin\)\.$/);
    assert.equal(incident.incident_status.category, 'live');
    // A retry after the edit landed (its answer lost) does not append twice.
    const retried = await d.send({ ...p, status: 'resolved' }, created.state);
    delivered(retried);
    assert.match(retried.detail!, /already in INC-1/);
  });

  it('on_resolve: nothing leaves the incident alone', async () => {
    const d = await destination({ on_resolve: 'nothing' });
    const created = await d.send(payload(), undefined);
    delivered(created);
    const before = (await requests()).length;
    const o = await d.send(payload({ status: 'resolved' }), created.state);
    delivered(o);
    assert.match(o.detail!, /left open/);
    assert.equal((await requests()).length, before);
  });

  it('a test send declares a test-mode incident with its own key, and says so', async () => {
    const d = await destination();
    const p = payload({ test: true, severity: 'info' });
    const o = await d.send(p, undefined);
    delivered(o);
    assert.equal(o.detail, 'created INC-1 (test mode)');
    const [incident] = await incidents();
    assert.equal(incident.mode, 'test');
    assert.equal(incident.severity.name, 'Minor');
    assert.equal(incident.idempotency_key, `tocsin-test:${p.externalKey}:1:${p.at}`);
  });

  it('a replayed key that returns a finished incident is stored as finished and reported', async () => {
    const d = await destination();
    const p = payload();
    const created = await d.send(p, undefined);
    delivered(created);
    delivered(await d.send({ ...p, status: 'resolved' }, created.state));
    const replay = await d.send(p, undefined);
    delivered(replay);
    assert.match(replay.detail!, /already closed in incident\.io .*database reset/);
    assert.equal(replay.state?.['finished'], true);
  });
});

describe('incidents destination: refusals', () => {
  const reduced = async (key: string) => destination({ api_key: key });

  it('403 on create names the create permission', async () => {
    const o = await (await reduced(VIEW_ONLY)).send(payload(), undefined);
    failed(o);
    assert.equal(o.statusCode, 403);
    assert.match(o.hint, /permission to create incidents \(incidents\.create\)/);
    assert.ok(o.requestId);
  });

  it('403 on close names the edit permission', async () => {
    const d = await reduced(NO_EDIT);
    const created = await d.send(payload(), undefined);
    delivered(created);
    const o = await d.send(payload({ status: 'resolved' }), created.state);
    failed(o);
    assert.match(o.hint, /may not close INC-1: it needs the permission to edit incidents/);
  });

  it('403 on closing straight from active without the opt-out permission says so', async () => {
    const d = await reduced(NO_OPT_OUT);
    const created = await d.send(payload(), undefined);
    delivered(created);
    const o = await d.send(payload({ status: 'resolved' }), created.state);
    failed(o);
    assert.match(o.error, /post_incident_flow_opt_out/);
    assert.match(o.hint, /opting out of post-incident flow/);
  });

  it('404: the incident no longer exists', async () => {
    const d = await destination();
    const o = await d.send(payload({ status: 'resolved' }), { incident_id: '01GONE', reference: 'INC-404' } satisfies JsonObject);
    failed(o);
    assert.equal(o.statusCode, 404);
    assert.match(o.hint, /INC-404 no longer exists/);
  });

  it('422 on severity_id suggests a reload', async () => {
    const d = await destination();
    const body = { type: 'validation_error', status: 422, request_id: 'r-1', errors: [{ code: 'not_found', message: 'No severity with this ID', source: { field: 'severity_id' } }] };
    await call(emu.url, 'POST', '/_emulator/faults', { body: { path_prefix: '/v2/incidents', status: 422, body } });
    const o = await d.send(payload(), undefined);
    failed(o);
    assert.match(o.error, /severity_id: No severity with this ID/);
    assert.match(o.hint, /reload tocsin \(SIGHUP\)/);
    assert.equal(o.requestId, 'r-1');
  });

  it('429 and 5xx are retried, honouring Retry-After', async () => {
    const d = await destination();
    await call(emu.url, 'POST', '/_emulator/faults', { body: { path_prefix: '/v2/incidents', status: 429, retry_after: 7 } });
    const o = await d.send(payload(), undefined);
    assert.equal(o.kind, 'retry');
    assert.equal(o.kind === 'retry' && o.retryAfterMs, 7000);
    await call(emu.url, 'POST', '/_emulator/faults', { body: { path_prefix: '/v2/incidents', status: 502 } });
    const p = payload();
    const created = await d.send(p, undefined);
    assert.equal(created.kind, 'retry');
    delivered(await d.send(p, undefined));
    await call(emu.url, 'POST', '/_emulator/faults', { body: { path_prefix: '/v2/incidents', drop_connection: true } });
    assert.equal((await d.send({ ...p, status: 'resolved' }, { incident_id: (await incidents())[0].id, reference: 'INC-1' })).kind, 'retry');
  });
});

describe('incidents destination: names checked at create()', () => {
  async function configError(over: Record<string, unknown>): Promise<DestinationConfigError> {
    const e = await destination(over).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(e instanceof DestinationConfigError, `expected a DestinationConfigError, got ${String(e)}`);
    for (const s of SECRETS) assert.ok(!e.message.includes(s));
    return e;
  }

  it('an unknown severity name lists the valid ones', async () => {
    const e = await configError({ severity: { critical: 'SEV1', error: 'Major' } });
    assert.equal(e.path, 'severity.critical');
    assert.match(e.message, /no severity "SEV1"; valid names, least to most severe: "Minor", "Major", "Critical"/);
  });

  it('a closed status outside the closed category', async () => {
    const e = await configError({ closed_status: 'Documenting' });
    assert.equal(e.path, 'closed_status');
    assert.match(e.message, /post-incident \(learning\) status, not a closed one.*"Closed"/);
  });

  it('ids are accepted when they exist', async () => {
    await destination({ severity: { critical: '01HV00000000000000000SEV03' }, closed_status: '01HV000000000000000000ST06' });
  });

  it('a wrong API key fails at create, without the key in the message', async () => {
    const e = await configError({ api_key: 'inc-not-a-key-0123456789abc' });
    assert.equal(e.path, 'api_key');
    assert.match(e.message, /invalid or has been revoked/);
    assert.ok(!e.message.includes('inc-not-a-key'));
  });

  it('a key that may not list severities fails at create', async () => {
    await call(emu.url, 'POST', '/_emulator/api-keys', { body: { key: 'inc-blind-key-0123456789abc', scopes: ['incidents.create'] } });
    const e = await configError({ api_key: 'inc-blind-key-0123456789abc' });
    assert.equal(e.path, 'api_key');
    assert.match(e.message, /severities\.view/);
  });

  it('incident.io unreachable at create: starts anyway, and retries until it can check the names', async () => {
    const d = await destination({ base_url: 'http://127.0.0.1:9', timeout_ms: 2000 });
    const o = await d.send(payload(), undefined);
    noSecrets(o);
    assert.equal(o.kind, 'retry');
    assert.match(o.kind === 'retry' ? o.error : '', /destinations\.major\.base_url: cannot reach incident\.io/);
  });

  it('a 503 at create is looked up again at the first send', async () => {
    await call(emu.url, 'POST', '/_emulator/faults', { body: { path_prefix: '/v1/severities', status: 503 } });
    const d = await destination();
    delivered(await d.send(payload(), undefined));
    assert.equal((await incidents()).length, 1);
  });

  it('unknown names found at the first send dead-letter with the key path', async () => {
    await call(emu.url, 'POST', '/_emulator/faults', { body: { path_prefix: '/v1/severities', status: 503 } });
    const d = await destination({ severity: { critical: 'SEV1' } });
    const o = await d.send(payload(), undefined);
    failed(o);
    assert.match(o.error, /destinations\.major\.severity\.critical: incident\.io has no severity "SEV1"/);
    assert.match(o.hint, /reload tocsin/);
  });
});
