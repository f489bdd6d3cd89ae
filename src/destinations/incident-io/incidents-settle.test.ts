/**
 * A resolve with no incident on record after a create whose answer was lost: the incidents destination against the
 * in-process emulator (real HTTP). The "lost" create is a real create whose outcome this side never kept.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { call } from '../../emulator/test-client.ts';
import type { DeliveryPayload, Destination, SendOutcome } from '../types.ts';
import { incidentsConfig } from './incidents-config.ts';
import { incidentsDestination } from './incidents.ts';

const KEY = 'inc-settle-key-0123456789abcdef';
const MAY_HAVE_LANDED = { earlierAttemptMayHaveLanded: true };

let emu: RunningEmulator;
const open: Destination[] = [];

before(async () => {
  emu = await startEmulator({ apiKeys: [{ key: KEY, name: 'tocsin' }] });
});
after(async () => {
  await Promise.all(open.map((d) => d.close?.()));
  await emu.close();
});
beforeEach(async () => {
  await call(emu.url, 'POST', '/_emulator/reset');
});

async function destination(over: Record<string, unknown> = {}): Promise<Destination> {
  const config = incidentsConfig.parse({ type: 'incident_io_incidents', api_key: KEY, base_url: emu.url, severity: { critical: 'Critical' }, closed_status: 'Closed', ...over });
  const d = await incidentsDestination.create('major', config, { logger: pino({ level: 'silent' }) });
  open.push(d);
  return d;
}

let n = 0;
const firing = (): DeliveryPayload => {
  n++;
  return { alertId: `01S${n}`, source: 'app', dedupKey: `k${n}`, externalKey: `app:settle-${n}`, episode: 1, status: 'firing', title: 'Orders 5xx', severity: 'critical', metadata: {}, at: Date.UTC(2025, 0, 2, 3, 4, 5) };
};
const resolvedOf = (p: DeliveryPayload): DeliveryPayload => ({ ...p, status: 'resolved' });

const incidents = async () => (await call(emu.url, 'GET', '/_emulator/incidents')).json.incidents as any[];
const requests = async () => ((await call(emu.url, 'GET', '/_emulator/requests?path_prefix=/v2/incidents')).json.requests as any[]).map((r) => `${r.method} ${r.path.replace(/\/v2\/incidents\/[^/]+/, '/v2/incidents/:id')} ${r.effect ?? r.status}`);

function delivered(o: SendOutcome): asserts o is Extract<SendOutcome, { kind: 'delivered' }> {
  assert.equal(o.kind, 'delivered', JSON.stringify(o));
  assert.ok(!JSON.stringify(o).includes(KEY), 'an outcome carries the API key');
}

describe('incidents destination: settling a create whose answer was lost', () => {
  it('on_resolve: close — the repeated create returns the incident, which is then closed, in one send', async () => {
    const d = await destination();
    const p = firing();
    delivered(await d.send(p, undefined)); // incident.io has it; pretend the answer never came back
    const o = await d.send(resolvedOf(p), undefined, MAY_HAVE_LANDED);
    delivered(o);
    const [incident, ...more] = await incidents();
    assert.equal(more.length, 0);
    assert.equal(incident.incident_status.category, 'closed');
    assert.equal(o.detail, `found ${incident.reference} (declared by an earlier attempt whose answer was lost); closed ${incident.reference}`);
    assert.equal(o.state?.['incident_id'], incident.id);
    assert.equal(o.state?.['finished'], true);
    assert.deepEqual(await requests(), ['POST /v2/incidents incident_created', 'POST /v2/incidents idempotent_replay', 'POST /v2/incidents/:id/actions/edit incident_updated']);
  });

  it('no earlier attempt may have landed: nothing is sent (no incident opened just to be closed)', async () => {
    const d = await destination();
    const o = await d.send(resolvedOf(firing()), undefined, { earlierAttemptMayHaveLanded: false });
    delivered(o);
    assert.equal(o.detail, 'no incident was declared for this episode; nothing to resolve');
    assert.deepEqual(await requests(), []);
  });

  it('the earlier create never got there: the settle declares it, then closes it', async () => {
    const d = await destination();
    const o = await d.send(resolvedOf(firing()), undefined, MAY_HAVE_LANDED);
    delivered(o);
    const [incident] = await incidents();
    assert.equal(incident.incident_status.category, 'closed');
  });

  it('on_resolve: summary_only — the resolution is noted on the incident found, which stays open', async () => {
    const d = await destination({ on_resolve: 'summary_only' });
    const p = firing();
    delivered(await d.send(p, undefined));
    const o = await d.send(resolvedOf(p), undefined, MAY_HAVE_LANDED);
    delivered(o);
    const [incident, ...more] = await incidents();
    assert.equal(more.length, 0);
    assert.notEqual(incident.incident_status.category, 'closed');
    assert.match(incident.summary, /Resolved at 2025-01-02T03:04:05Z/);
    assert.match(o.detail ?? '', /^found INC-\d+ .*; added the resolution to INC-\d+'s summary \(left open\)$/);
  });

  it('on_resolve: nothing — no request at all', async () => {
    const d = await destination({ on_resolve: 'nothing' });
    const o = await d.send(resolvedOf(firing()), undefined, MAY_HAVE_LANDED);
    delivered(o);
    assert.match(o.detail ?? '', /left as it is \(on_resolve: nothing\)/);
    assert.deepEqual(await requests(), []);
  });

  it('the close fails after the create settled: a retry that keeps the incident found', async () => {
    const d = await destination();
    const p = firing();
    delivered(await d.send(p, undefined));
    await call(emu.url, 'POST', '/_emulator/faults', { body: { path_prefix: '/v2/incidents/', status: 503 } });
    const o = await d.send(resolvedOf(p), undefined, MAY_HAVE_LANDED);
    assert.equal(o.kind, 'retry', JSON.stringify(o));
    const [incident] = await incidents();
    assert.equal(o.state?.['incident_id'], incident.id);
    assert.match(o.kind === 'retry' ? o.error : '', /^found INC-\d+ .*; incident\.io server error 503$/);
    // Next time the state is on record: straight to the close.
    delivered(await d.send(resolvedOf(p), o.state, MAY_HAVE_LANDED));
    assert.equal((await incidents())[0].incident_status.category, 'closed');
  });

  it('the settle create itself is lost again: retried, nothing closed yet', async () => {
    const d = await destination();
    await call(emu.url, 'POST', '/_emulator/faults', { body: { path_prefix: '/v2/incidents', status: 502 } });
    const o = await d.send(resolvedOf(firing()), undefined, MAY_HAVE_LANDED);
    assert.equal(o.kind, 'retry');
    assert.equal(o.state, undefined);
  });
});
