import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator, type RunningEmulator } from './index.ts';
import { schemaProblems } from './schema.ts';
import { call } from './test-client.ts';

const A = { id: '01HSOURCEAAAAAAAAAAAAAAAAA', token: 'token-of-source-a-0123456789' };
const B = { id: '01HSOURCEBBBBBBBBBBBBBBBBB', token: 'token-of-source-b-0123456789' };
const ORG_KEY = 'org-api-key-0123456789';

const EXAMPLE = {
  title: '*errors.withMessage: PG::Error failed to connect',
  status: 'firing',
  deduplication_key: '4293868629',
  description: "We've detected a number of timeouts on hello.world.com, the service may be down. To fix...",
  source_url: 'https://www.my-alerting-platform.com/alerts/my-alert-123',
  metadata: { service: 'hello.world.com', team: ['my-team'] },
};

let emu: RunningEmulator;
const post = (body: unknown, opts: { token?: string; source?: string; headers?: Record<string, string>; query?: string } = {}) =>
  call(emu.url, 'POST', `/v2/alert_events/http/${opts.source ?? A.id}${opts.query ?? ''}`, {
    bearer: opts.query || opts.headers?.['authorization'] ? undefined : (opts.token ?? A.token),
    headers: opts.headers,
    body,
  });
const emulatorAlerts = async () => (await call(emu.url, 'GET', '/_emulator/alerts')).json.alerts;

before(async () => {
  emu = await startEmulator({ alertSources: [A, B], apiKeys: [{ key: ORG_KEY, name: 'tocsin' }] });
});
after(() => emu.close());
beforeEach(async () => {
  await call(emu.url, 'POST', '/_emulator/reset');
});

describe('POST /v2/alert_events/http/{id}: payload', () => {
  it('accepts the contract example with 202 and the documented result', async () => {
    const res = await post(EXAMPLE);
    assert.equal(res.status, 202);
    assert.deepEqual(res.json, { status: 'success', message: 'Event accepted for processing', deduplication_key: '4293868629' });
    assert.deepEqual(schemaProblems('AlertEventsCreateHTTPResultV2', res.json), []);
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(res.headers['x-ratelimit-remaining'], '119');
  });

  it('rejects description: null with 422 invalid_type (the schema never marks a field nullable)', async () => {
    const res = await post({ ...EXAMPLE, description: null });
    assert.equal(res.status, 422);
    assert.equal(res.json.type, 'validation_error');
    assert.equal(res.json.status, 422);
    assert.equal(res.json.request_id, res.headers['x-request-id']);
    assert.deepEqual(res.json.errors.map((e: { code: string; source: { field: string } }) => [e.code, e.source.field]), [['invalid_type', 'description']]);
    assert.deepEqual(await emulatorAlerts(), []);
  });

  it('requires deduplication_key, title and status', async () => {
    const { deduplication_key: _k, ...noKey } = EXAMPLE;
    const res = await post(noKey);
    assert.equal(res.status, 422);
    assert.deepEqual(res.json.errors.map((e: { code: string; source: { field: string } }) => [e.code, e.source.field]), [['is_required', 'deduplication_key']]);
    const res2 = await post({ deduplication_key: 'k' });
    assert.equal(res2.status, 422);
    const fields = res2.json.errors.map((e: { source: { field: string } }) => e.source.field).sort();
    assert.deepEqual(fields, ['status', 'title']);
    assert.equal((await post({ ...EXAMPLE, deduplication_key: '' })).status, 422);
  });

  it('rejects an unknown status and a non-object body', async () => {
    const res = await post({ ...EXAMPLE, status: 'acknowledged' });
    assert.equal(res.status, 422);
    assert.equal(res.json.errors[0].code, 'invalid_value');
    assert.equal((await post([EXAMPLE])).status, 422);
  });

  it('answers 400 for malformed JSON, 400 for no body and 415 for a non-JSON content type', async () => {
    const bad = await post('{"title": ', { headers: { 'content-type': 'application/json', authorization: `Bearer ${A.token}` } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.errors[0].code, 'invalid_json');
    const empty = await call(emu.url, 'POST', `/v2/alert_events/http/${A.id}`, { bearer: A.token });
    assert.equal(empty.status, 400);
    const form = await post('title=x', { headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${A.token}` } });
    assert.equal(form.status, 415);
    assert.equal(form.json.type, 'unsupported_media_type');
  });

  it('answers 413 over 512 KB, saying incident.io drops such bodies, and accepts exactly 512 KB', async () => {
    const sized = (bytes: number) => {
      const base = JSON.stringify({ ...EXAMPLE, metadata: { pad: '' } });
      return JSON.stringify({ ...EXAMPLE, metadata: { pad: 'x'.repeat(bytes - base.length) } });
    };
    const exact = sized(512 * 1024);
    assert.equal(Buffer.byteLength(exact), 524_288);
    assert.equal((await post(exact, { headers: { 'content-type': 'application/json', authorization: `Bearer ${A.token}` } })).status, 202);
    const res = await post(sized(512 * 1024 + 1), { headers: { 'content-type': 'application/json', authorization: `Bearer ${A.token}` } });
    assert.equal(res.status, 413);
    assert.equal(res.json.status, 413);
    assert.match(res.json.errors[0].message, /512 KB/);
    assert.equal((await emulatorAlerts())[0].events, 1);
  });
});

describe('POST /v2/alert_events/http/{id}: authentication', () => {
  it('answers 401 missing_authorization_material without credentials', async () => {
    const res = await call(emu.url, 'POST', `/v2/alert_events/http/${A.id}`, { body: EXAMPLE });
    assert.equal(res.status, 401);
    assert.equal(res.json.type, 'authentication_error');
    assert.equal(res.json.errors[0].code, 'missing_authorization_material');
  });

  it('refuses an organisation API key with 401, saying the token does not match this alert source', async () => {
    const res = await post(EXAMPLE, { token: ORG_KEY });
    assert.equal(res.status, 401);
    assert.match(res.json.errors[0].message, /does not match this alert source/);
    assert.match(res.json.errors[0].message, /API key/);
    assert.ok(!res.text.includes(ORG_KEY));
  });

  it("refuses another alert source's token with 401", async () => {
    const res = await post(EXAMPLE, { token: B.token });
    assert.equal(res.status, 401);
    assert.match(res.json.errors[0].message, /does not match this alert source/);
    assert.equal((await post(EXAMPLE, { token: 'made-up' })).status, 401);
    assert.deepEqual(await emulatorAlerts(), []);
  });

  it('accepts Basic (token as password, any user) and ?token=', async () => {
    const basic = Buffer.from(`anyone:${A.token}`).toString('base64');
    assert.equal((await post(EXAMPLE, { headers: { authorization: `Basic ${basic}` } })).status, 202);
    assert.equal((await post(EXAMPLE, { query: `?token=${encodeURIComponent(A.token)}` })).status, 202);
    assert.equal((await post(EXAMPLE, { query: `?token=${encodeURIComponent(B.token)}` })).status, 401);
    assert.equal((await emulatorAlerts())[0].events, 2);
  });

  it('answers 404 not_found for an unknown alert source', async () => {
    const res = await post(EXAMPLE, { source: '01HUNKNOWN' });
    assert.equal(res.status, 404);
    assert.equal(res.json.type, 'not_found');
  });
});

describe('POST /v2/alert_events/http/{id}: dedup and resolve', () => {
  it('collapses, resolves, and opens a new alert when the key fires again', async () => {
    await post({ ...EXAMPLE, deduplication_key: 'k1' });
    await post({ ...EXAMPLE, deduplication_key: 'k1', title: 'updated title' });
    let alerts = await emulatorAlerts();
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].title, 'updated title');
    assert.equal(alerts[0].events, 2);
    assert.equal(alerts[0].alert_source_id, A.id);
    assert.deepEqual(alerts[0].metadata, EXAMPLE.metadata);

    assert.equal((await post({ ...EXAMPLE, deduplication_key: 'k1', status: 'resolved' })).status, 202);
    alerts = await emulatorAlerts();
    assert.equal(alerts[0].status, 'resolved');
    assert.ok(alerts[0].resolved_at);

    await post({ ...EXAMPLE, deduplication_key: 'k1' });
    alerts = await emulatorAlerts();
    assert.equal(alerts.length, 2);
    assert.notEqual(alerts[1].id, alerts[0].id);
    assert.equal(alerts[1].status, 'firing');

    const listed = await call(emu.url, 'GET', '/v2/alerts?page_size=10&deduplication_key[is]=k1', { bearer: ORG_KEY });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.json.alerts.map((a: { status: string }) => a.status), ['firing', 'resolved']);
  });

  it('accepts a resolve for a key with no active alert and changes nothing', async () => {
    const res = await post({ ...EXAMPLE, deduplication_key: 'never', status: 'resolved' });
    assert.equal(res.status, 202);
    assert.deepEqual(await emulatorAlerts(), []);
    const log = (await call(emu.url, 'GET', '/_emulator/requests')).json.requests;
    assert.equal(log.at(-1).effect, 'no_active_alert');
  });

  it('keeps the same key on two sources apart', async () => {
    await post({ ...EXAMPLE, deduplication_key: 'shared' });
    await post({ ...EXAMPLE, deduplication_key: 'shared' }, { source: B.id, token: B.token });
    assert.equal((await emulatorAlerts()).length, 2);
  });
});

describe('POST /v2/alert_events/http/{id}: rate limit', () => {
  it('answers 429 with an integer Retry-After once the per-source bucket is empty; other sources are unaffected', async () => {
    await call(emu.url, 'POST', '/_emulator/rate-limits', { body: { alert_events_per_minute: 3 } });
    // Rejected requests take no token.
    assert.equal((await post({ ...EXAMPLE, description: null })).status, 422);
    for (let i = 0; i < 3; i++) assert.equal((await post({ ...EXAMPLE, deduplication_key: `k${i}` })).status, 202);
    const res = await post(EXAMPLE);
    assert.equal(res.status, 429);
    assert.equal(res.json.type, 'too_many_requests');
    assert.equal(res.json.errors[0].code, 'too_many_requests');
    assert.match(String(res.headers['retry-after']), /^[1-9][0-9]*$/);
    assert.ok(Number(res.headers['retry-after']) <= 20, '3/min refills one token every 20 s');
    assert.equal(res.headers['x-ratelimit-remaining'], '0');
    assert.equal(res.json.rate_limit.limit, 3);
    assert.equal(res.json.rate_limit.remaining, 0);
    assert.ok(!Number.isNaN(Date.parse(res.json.rate_limit.retry_after)));
    assert.equal((await emulatorAlerts()).length, 3);
    assert.equal((await post(EXAMPLE, { source: B.id, token: B.token })).status, 202);
  });
});
