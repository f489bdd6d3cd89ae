import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ROOT_SCHEMAS, vendor } from '../../scripts/vendor-openapi.ts';
import { schemaProblems, unknownFields, validate, vendored } from './schema.ts';

const CONTRACT_EXAMPLE = {
  title: '*errors.withMessage: PG::Error failed to connect',
  status: 'firing',
  deduplication_key: '4293868629',
  description: "We've detected a number of timeouts on hello.world.com, the service may be down. To fix...",
  source_url: 'https://www.my-alerting-platform.com/alerts/my-alert-123',
  metadata: { service: 'hello.world.com', team: ['my-team'] },
};

describe('vendored incident.io schemas', () => {
  it('records where they came from', () => {
    assert.equal(vendored.source['commit'], '6919772d5d91b6f5baf4ddf988a9b5c07c7cfb75');
    assert.match(String(vendored.source['sha256']), /^[0-9a-f]{64}$/);
    assert.equal(vendored.source['openapi'], '3.0.3');
  });

  it('holds every root schema and compiles each of them', () => {
    for (const name of ROOT_SCHEMAS) {
      assert.ok(name in vendored.schemas, name);
      assert.doesNotThrow(() => schemaProblems(name, {}), name);
    }
  });

  it('is exactly what the vendor script makes from the upstream file (when it is present)', (t) => {
    const input = new URL('../../../shared/incident-io/openapi3.json', import.meta.url);
    if (!existsSync(input)) return t.skip('upstream openapi3.json not available');
    const raw = readFileSync(input);
    const sha256 = createHash('sha256').update(raw).digest('hex');
    assert.equal(sha256, vendored.source['sha256']);
    const fresh = vendor(JSON.parse(raw.toString('utf8')), { commit: String(vendored.source['commit']), sha256 });
    const committed = readFileSync(new URL('../destinations/incident-io/openapi/schemas.json', import.meta.url), 'utf8');
    assert.equal(`${JSON.stringify(fresh, null, 2)}\n`, committed);
  });

  it('accepts the contract example payload, which is also the schema example', () => {
    assert.deepEqual(validate('AlertEventsCreateHTTPPayloadV2', CONTRACT_EXAMPLE), []);
    const example = (vendored.schemas['AlertEventsCreateHTTPPayloadV2'] as { example: unknown }).example;
    assert.deepEqual(example, CONTRACT_EXAMPLE);
  });

  it('maps ajv errors to incident.io error items, one per field', () => {
    const errors = validate('AlertEventsCreateHTTPPayloadV2', { status: 'burning', description: null, metadata: [] });
    const byField = Object.fromEntries(errors.map((e) => [e.source?.field, e.code]));
    assert.deepEqual(byField, { title: 'is_required', status: 'invalid_value', description: 'invalid_type', metadata: 'invalid_type' });
    assert.match(errors.find((e) => e.source?.field === 'description')?.message ?? '', /null/);
  });

  it('reports nested paths dotted', () => {
    const errors = validate('IncidentsEditPayloadV2', { notify_incident_channel: true, incident: { name: 5, custom_field_entries: [{ values: [] }] } });
    const fields = errors.map((e) => e.source?.field).sort();
    assert.deepEqual(fields, ['incident.custom_field_entries.0.custom_field_id', 'incident.name']);
  });

  it('finds fields the schema does not declare, except under free-form objects', () => {
    assert.deepEqual(unknownFields('AlertEventsCreateHTTPPayloadV2', { ...CONTRACT_EXAMPLE, severity: 'high', metadata: { anything: 1 } }), ['severity']);
    assert.deepEqual(unknownFields('IncidentsEditPayloadV2', { notify_incident_channel: true, incident: { name: 'x', visibility: 'private', mode: 'test' } }), [
      'incident.visibility',
      'incident.mode',
    ]);
  });
});
