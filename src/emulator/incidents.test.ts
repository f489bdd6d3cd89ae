import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator, type RunningEmulator } from './index.ts';
import { DEFAULT_SEVERITIES, DEFAULT_STATUSES } from './org.ts';
import { schemaProblems } from './schema.ts';
import { ALL_SCOPES } from './state.ts';
import { call } from './test-client.ts';

const KEY = 'incidents-key-0123456789';
const statusId = (name: string) => DEFAULT_STATUSES.find((s) => s.name === name)?.id as string;
const MINOR = DEFAULT_SEVERITIES[0]!.id;
const CRITICAL = DEFAULT_SEVERITIES[2]!.id;

let emu: RunningEmulator;
before(async () => {
  emu = await startEmulator({ apiKeys: [{ key: KEY, name: 'tocsin incidents' }] });
});
after(() => emu.close());
beforeEach(async () => {
  await call(emu.url, 'POST', '/_emulator/reset');
});

let n = 0;
const create = (body: Record<string, unknown> = {}, key = KEY) =>
  call(emu.url, 'POST', '/v2/incidents', {
    bearer: key,
    body: { idempotency_key: `key-${++n}`, visibility: 'public', name: 'Database is sad', severity_id: MINOR, ...body },
  });
const edit = (id: string, incident: Record<string, unknown>, key = KEY, extra: Record<string, unknown> = { notify_incident_channel: false }) =>
  call(emu.url, 'POST', `/v2/incidents/${id}/actions/edit`, { bearer: key, body: { incident, ...extra } });

describe('POST /v2/incidents', () => {
  it('creates an incident (200) with every IncidentV2 field, valid against the vendored schema', async () => {
    const res = await create({ summary: 'Really sad' });
    assert.equal(res.status, 200);
    assert.deepEqual(schemaProblems('IncidentsCreateResultV2', res.json), []);
    const incident = res.json.incident;
    assert.equal(incident.reference, 'INC-1');
    assert.equal(incident.incident_status.name, 'Investigating');
    assert.equal(incident.incident_status.category, 'live');
    assert.equal(incident.severity.id, MINOR);
    assert.deepEqual(incident.creator.api_key.name, 'tocsin incidents');
    assert.equal(incident.slack_channel_id, '');
    assert.deepEqual(incident.custom_field_entries, []);
    assert.deepEqual(incident.incident_role_assignments, []);
    assert.equal(incident.mode, 'standard');
    assert.ok(!res.text.includes(KEY));
  });

  it('requires a severity to open an incident, except in tutorial mode', async () => {
    const res = await create({ severity_id: undefined });
    assert.equal(res.status, 422);
    assert.deepEqual(res.json.errors, [{ code: 'is_required', message: 'A severity is required to open an incident', source: { field: 'severity_id' } }]);
    assert.equal((await create({ severity_id: undefined, mode: 'tutorial' })).status, 200);
  });

  it('requires idempotency_key and visibility, and rejects unknown severity and status ids', async () => {
    const missing = await call(emu.url, 'POST', '/v2/incidents', { bearer: KEY, body: { name: 'x', severity_id: MINOR } });
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.json.errors.map((e: { source: { field: string } }) => e.source.field).sort(), ['idempotency_key', 'visibility']);
    assert.equal((await create({ visibility: 'secret' })).status, 422);
    assert.equal((await create({ severity_id: 'nope' })).json.errors[0].source.field, 'severity_id');
    assert.equal((await create({ incident_status_id: 'nope' })).json.errors[0].source.field, 'incident_status_id');
    assert.deepEqual((await call(emu.url, 'GET', '/_emulator/incidents')).json.incidents, []);
  });

  it('returns the same incident for a repeated idempotency_key, never a second one', async () => {
    const first = await create({ idempotency_key: 'alert-uuid' });
    const again = await create({ idempotency_key: 'alert-uuid', name: 'different name' });
    assert.equal(again.status, 200);
    assert.equal(again.json.incident.id, first.json.incident.id);
    assert.equal(again.json.incident.name, 'Database is sad');
    const all = (await call(emu.url, 'GET', '/_emulator/incidents')).json.incidents;
    assert.equal(all.length, 1);
    assert.equal(all[0].idempotency_key, 'alert-uuid');
  });

  it('starts in the requested status and accepts fields it does not model, noting them', async () => {
    const res = await create({ incident_status_id: statusId('Triage'), custom_field_entries: [{ custom_field_id: 'cf', values: [] }], severity: 'high' });
    assert.equal(res.json.incident.incident_status.category, 'triage');
    const log = (await call(emu.url, 'GET', '/_emulator/requests')).json.requests.at(-1);
    assert.deepEqual(log.ignored_fields, ['severity']);
    assert.match(log.notes.join(' '), /custom_field_entries/);
  });
});

describe('GET /v2/incidents/{id} and GET /v2/incidents', () => {
  it('shows an incident by full id or by the number of its reference; 404 otherwise', async () => {
    await create();
    const second = (await create()).json.incident;
    assert.equal((await call(emu.url, 'GET', `/v2/incidents/${second.id}`, { bearer: KEY })).json.incident.reference, 'INC-2');
    const byNumber = await call(emu.url, 'GET', '/v2/incidents/2', { bearer: KEY });
    assert.equal(byNumber.json.incident.id, second.id);
    assert.deepEqual(schemaProblems('IncidentsShowResultV2', byNumber.json), []);
    const missing = await call(emu.url, 'GET', '/v2/incidents/99', { bearer: KEY });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.type, 'not_found');
  });

  it('pages with after, counts the total, sorts, filters, and leaves test and tutorial incidents out by default', async () => {
    for (let i = 0; i < 5; i++) await create();
    await create({ mode: 'test' });
    await create({ mode: 'tutorial', severity_id: undefined });
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await call(emu.url, 'GET', `/v2/incidents?page_size=2${after ? `&after=${after}` : ''}`, { bearer: KEY });
      assert.equal(page.status, 200);
      assert.deepEqual(schemaProblems('IncidentsListResultV2', page.json), []);
      assert.equal(page.json.pagination_meta.total_record_count, 5);
      seen.push(...page.json.incidents.map((i: { reference: string }) => i.reference));
      after = page.json.pagination_meta.after;
    } while (after);
    assert.deepEqual(seen, ['INC-5', 'INC-4', 'INC-3', 'INC-2', 'INC-1']);

    const oldest = await call(emu.url, 'GET', '/v2/incidents?sort_by=created_at_oldest_first&page_size=1', { bearer: KEY });
    assert.equal(oldest.json.incidents[0].reference, 'INC-1');
    const everyMode = await call(emu.url, 'GET', '/v2/incidents?mode[one_of]=standard&mode[one_of]=test&mode[one_of]=tutorial', { bearer: KEY });
    assert.equal(everyMode.json.incidents.length, 7);
    const justTest = await call(emu.url, 'GET', '/v2/incidents?mode[one_of]=test', { bearer: KEY });
    assert.deepEqual(justTest.json.incidents.map((i: { reference: string }) => i.reference), ['INC-6']);
  });

  it('filters on status and severity and validates page_size and sort_by', async () => {
    const a = (await create()).json.incident;
    await create({ severity_id: CRITICAL, incident_status_id: statusId('Triage') });
    const live = await call(emu.url, 'GET', `/v2/incidents?status[one_of]=${statusId('Investigating')}`, { bearer: KEY });
    assert.deepEqual(live.json.incidents.map((i: { id: string }) => i.id), [a.id]);
    const triage = await call(emu.url, 'GET', '/v2/incidents?status_category[one_of]=triage', { bearer: KEY });
    assert.equal(triage.json.incidents[0].reference, 'INC-2');
    const severe = await call(emu.url, 'GET', `/v2/incidents?severity[gte]=${DEFAULT_SEVERITIES[1]!.id}`, { bearer: KEY });
    assert.deepEqual(severe.json.incidents.map((i: { reference: string }) => i.reference), ['INC-2']);
    assert.equal((await call(emu.url, 'GET', '/v2/incidents?page_size=250', { bearer: KEY })).status, 200);
    assert.equal((await call(emu.url, 'GET', '/v2/incidents?page_size=251', { bearer: KEY })).status, 422);
    assert.equal((await call(emu.url, 'GET', '/v2/incidents?sort_by=name', { bearer: KEY })).status, 422);
    assert.equal((await call(emu.url, 'GET', '/v2/incidents?custom_field[abc][one_of]=x', { bearer: KEY })).status, 501);
  });
});

describe('POST /v2/incidents/{id}/actions/edit', () => {
  it('edits only the fields sent and requires notify_incident_channel', async () => {
    const incident = (await create({ summary: 'before' })).json.incident;
    const res = await edit(incident.id, { severity_id: CRITICAL, summary: 'Mitigated; monitoring.' }, KEY, { notify_incident_channel: true });
    assert.equal(res.status, 200);
    assert.deepEqual(schemaProblems('IncidentsEditResultV2', res.json), []);
    assert.equal(res.json.incident.severity.id, CRITICAL);
    assert.equal(res.json.incident.summary, 'Mitigated; monitoring.');
    assert.equal(res.json.incident.name, 'Database is sad');
    const missing = await edit(incident.id, { summary: 'x' }, KEY, {});
    assert.equal(missing.status, 422);
    assert.equal(missing.json.errors[0].source.field, 'notify_incident_channel');
    assert.equal((await edit('01HNOTANINCIDENT', { summary: 'x' })).status, 404);
  });

  it('accepts fields the edit schema lacks (visibility, mode) without applying them, and lists them', async () => {
    const incident = (await create()).json.incident;
    const res = await edit(incident.id, { visibility: 'private', mode: 'test', name: 'renamed' });
    assert.equal(res.status, 200);
    assert.equal(res.json.incident.visibility, 'public');
    assert.equal(res.json.incident.mode, 'standard');
    assert.equal(res.json.incident.name, 'renamed');
    const log = (await call(emu.url, 'GET', '/_emulator/requests')).json.requests.at(-1);
    assert.deepEqual(log.ignored_fields, ['incident.visibility', 'incident.mode']);
  });

  it('allows live → learning → closed and within a category; refuses going back', async () => {
    const incident = (await create()).json.incident;
    assert.equal((await edit(incident.id, { incident_status_id: statusId('Fixing') })).status, 200);
    assert.equal((await edit(incident.id, { incident_status_id: statusId('Documenting') })).status, 200);
    const back = await edit(incident.id, { incident_status_id: statusId('Investigating') });
    assert.equal(back.status, 422);
    assert.equal(back.json.errors[0].source.field, 'incident.incident_status_id');
    const closed = await edit(incident.id, { incident_status_id: statusId('Closed') });
    assert.equal(closed.json.incident.incident_status.category, 'closed');
    assert.equal((await edit(incident.id, { incident_status_id: statusId('Investigating') })).status, 422);
    assert.equal((await edit(incident.id, { incident_status_id: 'nope' })).status, 422);
  });

  it('lets live → closed through only with post_incident_flow_opt_out (403 without it)', async () => {
    const noOptOut = (await call(emu.url, 'POST', '/_emulator/api-keys', { body: { scopes: ALL_SCOPES.filter((s) => s !== 'post_incident_flow_opt_out') } })).json.api_key.key;
    const incident = (await create()).json.incident;
    const denied = await edit(incident.id, { incident_status_id: statusId('Closed') }, noOptOut);
    assert.equal(denied.status, 403);
    assert.match(denied.json.errors[0].message, /post_incident_flow_opt_out/);
    const shown = await call(emu.url, 'GET', `/v2/incidents/${incident.id}`, { bearer: KEY });
    assert.equal(shown.json.incident.incident_status.category, 'live');
    assert.equal((await edit(incident.id, { incident_status_id: statusId('Closed') })).status, 200);
  });
});

describe('GET /v1/incident_statuses and /v1/severities', () => {
  it('lists the default organisation, each valid against the vendored schema, with show and 404', async () => {
    const statuses = await call(emu.url, 'GET', '/v1/incident_statuses', { bearer: KEY });
    assert.deepEqual(schemaProblems('IncidentStatusesListResultV1', statuses.json), []);
    assert.deepEqual(
      statuses.json.incident_statuses.map((s: { name: string; category: string }) => `${s.name}:${s.category}`),
      ['Triage:triage', 'Investigating:live', 'Fixing:live', 'Monitoring:live', 'Documenting:learning', 'Closed:closed', 'Declined:declined'],
    );
    const one = await call(emu.url, 'GET', `/v1/incident_statuses/${statusId('Closed')}`, { bearer: KEY });
    assert.deepEqual(schemaProblems('IncidentStatusesShowResultV1', one.json), []);
    const severities = await call(emu.url, 'GET', '/v1/severities', { bearer: KEY });
    assert.deepEqual(schemaProblems('SeveritiesListResultV1', severities.json), []);
    assert.deepEqual(severities.json.severities.map((s: { name: string; rank: number }) => `${s.name}:${s.rank}`), ['Minor:1', 'Major:2', 'Critical:3']);
    const sev = await call(emu.url, 'GET', `/v1/severities/${CRITICAL}`, { bearer: KEY });
    assert.deepEqual(schemaProblems('SeveritiesShowResultV1', sev.json), []);
    assert.equal((await call(emu.url, 'GET', '/v1/severities/nope', { bearer: KEY })).status, 404);
  });
});
