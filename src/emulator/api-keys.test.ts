import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator, type RunningEmulator } from './index.ts';
import { vendored } from './schema.ts';
import { ALL_SCOPES } from './state.ts';
import { call } from './test-client.ts';

const SOURCE = { id: '01HSOURCEAAAAAAAAAAAAAAAAA', token: 'alert-source-token-0123456789' };
const KEY = 'full-org-key-0123456789';

let emu: RunningEmulator;
before(async () => {
  emu = await startEmulator({ alertSources: [SOURCE], apiKeys: [{ key: KEY, name: 'full' }] });
});
after(() => emu.close());
beforeEach(async () => {
  await call(emu.url, 'POST', '/_emulator/reset');
});

const addKey = async (scopes: string[]) => (await call(emu.url, 'POST', '/_emulator/api-keys', { body: { scopes } })).json.api_key.key as string;

/** A request that passes auth for each vendored operation (path ids need not exist: 404 is not 401/403). */
const samplePaths: Record<string, { method: 'GET' | 'POST'; path: string; body?: unknown }> = {
  'GET /v2/alerts': { method: 'GET', path: '/v2/alerts?page_size=5' },
  'GET /v2/alerts/{id}': { method: 'GET', path: '/v2/alerts/missing' },
  'GET /v2/incidents': { method: 'GET', path: '/v2/incidents' },
  'POST /v2/incidents': { method: 'POST', path: '/v2/incidents', body: { idempotency_key: 'scope-test', visibility: 'public', severity_id: '01HV00000000000000000SEV01' } },
  'GET /v2/incidents/{id}': { method: 'GET', path: '/v2/incidents/1' },
  'GET /v1/incident_statuses': { method: 'GET', path: '/v1/incident_statuses' },
  'GET /v1/incident_statuses/{id}': { method: 'GET', path: '/v1/incident_statuses/missing' },
  'GET /v1/severities': { method: 'GET', path: '/v1/severities' },
  'GET /v1/severities/{id}': { method: 'GET', path: '/v1/severities/missing' },
};

describe('API key authentication', () => {
  it('answers 401 missing_authorization_material without a key', async () => {
    const res = await call(emu.url, 'GET', '/v1/severities');
    assert.equal(res.status, 401);
    assert.equal(res.json.type, 'authentication_error');
    assert.equal(res.json.errors[0].code, 'missing_authorization_material');
    assert.equal(res.json.errors[0].message, 'No authorization material provided in request');
  });

  it('answers 401 for an unknown key, an alert source token, Basic auth and ?token=', async () => {
    assert.equal((await call(emu.url, 'GET', '/v1/severities', { bearer: 'nope' })).status, 401);
    const source = await call(emu.url, 'GET', '/v1/severities', { bearer: SOURCE.token });
    assert.equal(source.status, 401);
    assert.match(source.json.errors[0].message, /alert source secret token/);
    const basic = Buffer.from(`x:${KEY}`).toString('base64');
    assert.equal((await call(emu.url, 'GET', '/v1/severities', { headers: { authorization: `Basic ${basic}` } })).status, 401);
    assert.equal((await call(emu.url, 'GET', `/v1/severities?token=${KEY}`)).status, 401);
  });

  it("enforces each operation's x-rbac-scopes from the vendored schema with 403 naming the scope", async () => {
    for (const [op, sample] of Object.entries(samplePaths)) {
      const scope = (vendored.operations[op]?.['x-rbac-scopes'] as string[] | undefined)?.[0];
      assert.ok(scope, `${op} declares a scope`);
      const without = await addKey(ALL_SCOPES.filter((s) => s !== scope));
      const denied = await call(emu.url, sample.method, sample.path, { bearer: without, body: sample.body });
      assert.equal(denied.status, 403, op);
      assert.equal(denied.json.errors[0].code, 'insufficient_permissions');
      assert.match(denied.json.errors[0].message, new RegExp(scope.replace('.', '\\.')));
      const only = await addKey([scope]);
      const allowed = await call(emu.url, sample.method, sample.path, { bearer: only, body: sample.body });
      assert.ok(allowed.status === 200 || allowed.status === 404, `${op} with only ${scope}: ${allowed.status}`);
    }
  });

  it('answers 429 after the per-key bucket is empty, with Retry-After and rate_limit naming the key', async () => {
    await call(emu.url, 'POST', '/_emulator/rate-limits', { body: { api_requests_per_minute: 2 } });
    const other = await addKey([...ALL_SCOPES]);
    assert.equal((await call(emu.url, 'GET', '/v1/severities', { bearer: KEY })).status, 200);
    // A rejected request (404) takes no token.
    assert.equal((await call(emu.url, 'GET', '/v1/severities/missing', { bearer: KEY })).status, 404);
    const second = await call(emu.url, 'GET', '/v1/severities', { bearer: KEY });
    assert.equal(second.headers['x-ratelimit-remaining'], '0');
    assert.equal(second.headers['x-ratelimit-used'], '2');
    const limited = await call(emu.url, 'GET', '/v1/severities', { bearer: KEY });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '30');
    assert.equal(limited.json.rate_limit.name, 'full');
    assert.equal((await call(emu.url, 'GET', '/v1/severities', { bearer: other })).status, 200);
  });
});

describe('GET /v2/alerts', () => {
  const send = (key: string, status = 'firing') =>
    call(emu.url, 'POST', `/v2/alert_events/http/${SOURCE.id}`, { bearer: SOURCE.token, body: { title: key, status, deduplication_key: key } });

  it('requires page_size between 1 and 50', async () => {
    for (const query of ['', '?page_size=0', '?page_size=51', '?page_size=abc']) {
      const res = await call(emu.url, 'GET', `/v2/alerts${query}`, { bearer: KEY });
      assert.equal(res.status, 422, query);
      assert.equal(res.json.errors[0].source.field, 'page_size');
    }
    assert.equal((await call(emu.url, 'GET', '/v2/alerts?page_size=50', { bearer: KEY })).status, 200);
  });

  it('pages newest first with the after cursor and filters on deduplication_key[is] and status[one_of]', async () => {
    for (const k of ['a', 'b', 'c', 'd', 'e']) await send(k);
    await send('b', 'resolved');
    const first = await call(emu.url, 'GET', '/v2/alerts?page_size=2', { bearer: KEY });
    assert.deepEqual(first.json.alerts.map((a: { title: string }) => a.title), ['e', 'd']);
    assert.equal(first.json.pagination_meta.page_size, 2);
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const page = await call(emu.url, 'GET', `/v2/alerts?page_size=2${after ? `&after=${after}` : ''}`, { bearer: KEY });
      ids.push(...page.json.alerts.map((a: { id: string }) => a.id));
      after = page.json.pagination_meta.after;
    } while (after);
    assert.equal(ids.length, 5);
    assert.equal(new Set(ids).size, 5);

    const byKey = await call(emu.url, 'GET', '/v2/alerts?page_size=50&deduplication_key%5Bis%5D=c', { bearer: KEY });
    assert.deepEqual(byKey.json.alerts.map((a: { title: string }) => a.title), ['c']);
    const resolved = await call(emu.url, 'GET', '/v2/alerts?page_size=50&status[one_of]=resolved', { bearer: KEY });
    assert.deepEqual(resolved.json.alerts.map((a: { title: string }) => a.title), ['b']);
    const firing = await call(emu.url, 'GET', '/v2/alerts?page_size=50&status[not_in]=resolved', { bearer: KEY });
    assert.equal(firing.json.alerts.length, 4);

    const shown = await call(emu.url, 'GET', `/v2/alerts/${ids[0]}`, { bearer: KEY });
    assert.equal(shown.json.alert.id, ids[0]);
  });

  it('rejects an unknown operator (422), a filter without one (422) and a filter the emulator lacks (501)', async () => {
    assert.equal((await call(emu.url, 'GET', '/v2/alerts?page_size=5&deduplication_key[one_of]=x', { bearer: KEY })).status, 422);
    assert.equal((await call(emu.url, 'GET', '/v2/alerts?page_size=5&status=firing', { bearer: KEY })).status, 422);
    assert.equal((await call(emu.url, 'GET', '/v2/alerts?page_size=5&created_at[gte]=2024-01-01', { bearer: KEY })).status, 501);
    assert.equal((await call(emu.url, 'GET', '/v2/alerts?page_size=5&after=unknown', { bearer: KEY })).status, 422);
  });
});
