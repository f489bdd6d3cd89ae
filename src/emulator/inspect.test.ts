import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { request } from 'undici';
import { startEmulator, type RunningEmulator } from './index.ts';
import { call } from './test-client.ts';

const SOURCE = { id: '01HSOURCEAAAAAAAAAAAAAAAAA', token: 'SECRET-source-token-7f3a9c' };
const KEY = 'SECRET-org-key-5b2e8d';
const EVENT = { title: 'Disk full', status: 'firing', deduplication_key: 'disk-full' };

let emu: RunningEmulator;
const sendEvent = (body: unknown = EVENT) => call(emu.url, 'POST', `/v2/alert_events/http/${SOURCE.id}`, { bearer: SOURCE.token, body });
const get = async (path: string) => (await call(emu.url, 'GET', path)).json;
const addFault = (fault: Record<string, unknown>) => call(emu.url, 'POST', '/_emulator/faults', { body: fault });

before(async () => {
  emu = await startEmulator({ alertSources: [SOURCE], apiKeys: [{ key: KEY, name: 'tocsin' }] });
});
after(() => emu.close());
beforeEach(async () => {
  await call(emu.url, 'POST', '/_emulator/reset');
});

describe('faults', () => {
  it('answers the injected status with the incident.io envelope and Retry-After, then handles normally', async () => {
    assert.equal((await addFault({ path_prefix: '/v2/alert_events', count: 2, status: 503, retry_after: 7 })).status, 201);
    for (let i = 0; i < 2; i++) {
      const res = await sendEvent();
      assert.equal(res.status, 503);
      assert.equal(res.headers['retry-after'], '7');
      assert.equal(res.json.type, 'service_unavailable');
      assert.equal(res.json.request_id, res.headers['x-request-id']);
    }
    assert.deepEqual((await get('/_emulator/alerts')).alerts, [], 'a faulted request changes no state');
    assert.equal((await sendEvent()).status, 202);
    assert.deepEqual((await get('/_emulator/faults')).faults, []);
  });

  it('can send an HTTP-date Retry-After, a 429 rate_limit body, or a custom non-JSON body', async () => {
    await addFault({ path_prefix: '/v2/', status: 429, retry_after: 'Wed, 21 Oct 2015 07:28:00 GMT' });
    const dated = await sendEvent();
    assert.equal(dated.headers['retry-after'], 'Wed, 21 Oct 2015 07:28:00 GMT');
    await addFault({ path_prefix: '/v2/', status: 429, retry_after: 2 });
    const limited = await sendEvent();
    assert.equal(limited.json.rate_limit.remaining, 0);
    await addFault({ path_prefix: '/v2/', status: 502, body: '<html>Bad gateway</html>' });
    const proxy = await sendEvent();
    assert.equal(proxy.status, 502);
    assert.equal(proxy.text, '<html>Bad gateway</html>');
    assert.match(String(proxy.headers['content-type']), /text\/plain/);
  });

  it('adds latency and then handles the request normally', async () => {
    await addFault({ path_prefix: '/v2/alert_events', latency_ms: 150 });
    const started = performance.now();
    assert.equal((await sendEvent()).status, 202);
    assert.ok(performance.now() - started >= 140);
    assert.equal((await get('/_emulator/alerts')).alerts.length, 1);
  });

  it('drops the connection without answering, and changes no state', async () => {
    await addFault({ path_prefix: '/v2/alert_events', drop_connection: true });
    await assert.rejects(sendEvent(), (e: { code?: string }) => typeof e.code === 'string' && e.code.startsWith('UND_ERR'));
    assert.deepEqual((await get('/_emulator/alerts')).alerts, []);
    const log = (await get('/_emulator/requests')).requests;
    assert.equal(log[0].outcome, 'dropped');
    assert.equal(log[0].status, null);
    assert.equal((await sendEvent()).status, 202);
  });

  it('cuts a response off after the request took effect: the caller sees the status, then a reset', async () => {
    await addFault({ path_prefix: '/v2/alert_events', cut_response: true });
    const res = await request(`${emu.url}/v2/alert_events/http/${SOURCE.id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SOURCE.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(EVENT),
    });
    assert.equal(res.statusCode, 202, 'the status line arrived');
    await assert.rejects(res.body.text(), 'the body breaks off');
    const [alert, ...more] = (await get('/_emulator/alerts')).alerts;
    assert.equal(more.length, 0);
    assert.equal(alert.status, 'firing', 'the event took effect');
    const [record] = (await get('/_emulator/requests')).requests;
    assert.deepEqual([record.outcome, record.status, record.effect], ['cut', 202, 'alert_created']);
    assert.match(record.fault, /^#\d+, response cut$/);
    assert.equal((await sendEvent()).status, 202);
  });

  it('only matches its prefix, clears on DELETE, and refuses invalid specs', async () => {
    await addFault({ path_prefix: '/v2/incidents', status: 500, count: 5 });
    assert.equal((await sendEvent()).status, 202);
    await call(emu.url, 'DELETE', '/_emulator/faults');
    assert.equal((await call(emu.url, 'POST', '/v2/incidents', { bearer: KEY, body: {} })).status, 422);
    assert.equal((await addFault({ path_prefix: '/v2/' })).status, 400);
    assert.equal((await addFault({ path_prefix: 'v2', status: 500 })).status, 400);
    assert.equal((await addFault({ path_prefix: '/v2/', status: 500, drop_connection: true })).status, 400);
    assert.equal((await addFault({ path_prefix: '/v2/', status: 500, cut_response: true })).status, 400);
    assert.equal((await addFault({ path_prefix: '/v2/', drop_connection: true, cut_response: true })).status, 400);
    assert.equal((await addFault({ path_prefix: '/_emulator/alerts', status: 500 })).status, 400);
  });
});

describe('pause, resume, reset, limits and credentials', () => {
  it('holds requests unanswered while paused and answers them in order on resume', async () => {
    await call(emu.url, 'POST', '/_emulator/pause');
    let answered = 0;
    const pending = [sendEvent(), sendEvent({ ...EVENT, status: 'resolved' })].map((p) => p.then((r) => (answered++, r)));
    while ((await get('/_emulator/status')).waiting_requests < 2) await new Promise((r) => setTimeout(r, 5));
    assert.equal(answered, 0);
    assert.deepEqual((await get('/_emulator/requests')).requests.map((r: { outcome: string }) => r.outcome), ['pending', 'pending']);
    const resumed = await call(emu.url, 'POST', '/_emulator/resume');
    assert.equal(resumed.json.released_requests, 2);
    const results = await Promise.all(pending);
    assert.deepEqual(results.map((r) => r.status), [202, 202]);
    assert.equal((await get('/_emulator/alerts')).alerts[0].status, 'resolved');
  });

  it('close() releases held requests instead of hanging', async () => {
    const own = await startEmulator();
    const source = own.alertSources[0]!;
    await call(own.url, 'POST', '/_emulator/pause');
    const held = call(own.url, 'POST', `/v2/alert_events/http/${source.id}`, { bearer: source.token, body: EVENT });
    while ((await call(own.url, 'GET', '/_emulator/status')).json.waiting_requests < 1) await new Promise((r) => setTimeout(r, 5));
    await own.close();
    assert.equal((await held).status, 202);
  });

  it('reset clears alerts, incidents, requests, faults and buckets but keeps sources and keys', async () => {
    await sendEvent();
    await call(emu.url, 'POST', '/v2/incidents', { bearer: KEY, body: { idempotency_key: 'i', visibility: 'public', severity_id: '01HV00000000000000000SEV01' } });
    await addFault({ path_prefix: '/v2/incidents', status: 500 });
    await call(emu.url, 'POST', '/_emulator/rate-limits', { body: { alert_events_per_minute: 1 } });
    await call(emu.url, 'POST', '/_emulator/reset');
    assert.deepEqual((await get('/_emulator/alerts')).alerts, []);
    assert.deepEqual((await get('/_emulator/incidents')).incidents, []);
    assert.deepEqual((await get('/_emulator/requests')).requests, []);
    const status = await get('/_emulator/status');
    assert.deepEqual(status.faults, []);
    assert.equal(status.rate_limits.alert_events_per_minute, 120);
    assert.equal((await sendEvent()).status, 202);
    assert.equal((await sendEvent()).status, 202);
  });

  it('changes limits at runtime and refuses invalid ones', async () => {
    const res = await call(emu.url, 'POST', '/_emulator/rate-limits', { body: { alert_events_per_minute: 1, api_requests_per_minute: 600 } });
    assert.deepEqual(res.json.rate_limits, { alert_events_per_minute: 1, api_requests_per_minute: 600 });
    assert.equal((await sendEvent()).status, 202);
    assert.equal((await sendEvent()).status, 429);
    const bad = await call(emu.url, 'POST', '/_emulator/rate-limits', { body: { alert_events_per_minute: -1 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_rate_limits');
  });

  it('adds alert sources and API keys at runtime, refusing duplicates', async () => {
    const created = await call(emu.url, 'POST', '/_emulator/alert-sources', { body: { name: 'Prometheus' } });
    assert.equal(created.status, 201);
    const source = created.json.alert_source;
    assert.match(source.alert_events_url, new RegExp(`/v2/alert_events/http/${source.id}$`));
    const res = await call(emu.url, 'POST', `/v2/alert_events/http/${source.id}`, { bearer: source.token, body: EVENT });
    assert.equal(res.status, 202);
    assert.equal((await call(emu.url, 'POST', '/_emulator/alert-sources', { body: { id: SOURCE.id } })).status, 409);
    assert.equal((await call(emu.url, 'POST', '/_emulator/api-keys', { body: { key: SOURCE.token } })).status, 409);
    const key = (await call(emu.url, 'POST', '/_emulator/api-keys', { body: { name: 'viewer', scopes: ['severities.view'] } })).json.api_key;
    assert.deepEqual(key.scopes, ['severities.view']);
    assert.equal((await call(emu.url, 'GET', '/v1/severities', { bearer: key.key })).status, 200);
  });
});

describe('request log and inspection', () => {
  it('records every /v1 and /v2 request in order with status, errors and body, filtered by path_prefix', async () => {
    await sendEvent();
    await sendEvent({ title: 'no key', status: 'firing' });
    await call(emu.url, 'GET', '/v1/severities', { bearer: KEY });
    await get('/_emulator/alerts');
    const all = (await get('/_emulator/requests')).requests;
    assert.deepEqual(all.map((r: { method: string; status: number }) => `${r.method} ${r.status}`), ['POST 202', 'POST 422', 'GET 200']);
    assert.equal(all[0].effect, 'alert_created');
    assert.deepEqual(all[0].body, EVENT);
    assert.equal(all[1].errors[0].source.field, 'deduplication_key');
    assert.equal(all[2].authenticated_as, 'api_key:tocsin');
    assert.ok(all.every((r: { received_at: string }) => !Number.isNaN(Date.parse(r.received_at))));
    const filtered = (await get('/_emulator/requests?path_prefix=/v1/')).requests;
    assert.equal(filtered.length, 1);
  });

  it('never echoes a secret: not in the log, the inspection API, the HTML page or error bodies', async () => {
    const responses: string[] = [];
    const basic = Buffer.from(`user:${SOURCE.token}`).toString('base64');
    responses.push((await call(emu.url, 'POST', `/v2/alert_events/http/${SOURCE.id}?token=${SOURCE.token}&x=1`, { body: EVENT })).text);
    responses.push((await call(emu.url, 'POST', `/v2/alert_events/http/${SOURCE.id}`, { headers: { authorization: `Basic ${basic}` }, body: EVENT })).text);
    responses.push((await call(emu.url, 'POST', `/v2/alert_events/http/${SOURCE.id}`, { bearer: KEY, body: EVENT })).text);
    responses.push((await call(emu.url, 'POST', `/v2/alert_events/http/${SOURCE.id}?TOKEN=${KEY}`, { body: EVENT })).text);
    responses.push((await call(emu.url, 'GET', '/v1/severities', { bearer: SOURCE.token })).text);
    responses.push((await call(emu.url, 'GET', '/v2/incidents', { bearer: KEY })).text);
    responses.push((await call(emu.url, 'GET', `/v2/nothing-here?token=${KEY}`)).text);
    await call(emu.url, 'POST', '/v2/incidents', { bearer: KEY, body: { idempotency_key: 'i', visibility: 'public', severity_id: '01HV00000000000000000SEV01' } });
    for (const path of ['/_emulator/requests', '/_emulator/alerts', '/_emulator/incidents', '/_emulator/status', '/_emulator/faults', '/_emulator/']) {
      responses.push((await call(emu.url, 'GET', path)).text);
    }
    const everything = responses.join('\n');
    for (const secret of [SOURCE.token, KEY, basic]) assert.ok(!everything.includes(secret), `leaked ${secret.slice(0, 6)}…`);
    const log = (await get('/_emulator/requests')).requests;
    assert.match(log[0].path, /\?token=\[redacted\]&x=1$/);
    assert.match(log[3].path, /\?TOKEN=\[redacted\]$/);
  });

  it('serves a self-contained HTML page with every value escaped', async () => {
    await sendEvent({ title: '<script>alert(1)</script>', status: 'firing', deduplication_key: '"><img src=x>', metadata: { k: '<b>' } });
    const page = await call(emu.url, 'GET', '/_emulator/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.ok(!page.text.includes('<script>'));
    assert.ok(!page.text.includes('<img'));
    assert.ok(page.text.includes('&#60;script&#62;alert(1)&#60;/script&#62;'));
    assert.ok(!/(src|href)=["']?https?:/.test(page.text), 'no external assets');
  });

  it('answers unknown routes with a 404 envelope and puts x-request-id on every response', async () => {
    const res = await call(emu.url, 'GET', '/v2/escalations', { bearer: KEY });
    assert.equal(res.status, 404);
    assert.equal(res.json.type, 'not_found');
    assert.equal(res.json.request_id, res.headers['x-request-id']);
    const inspect = await call(emu.url, 'GET', '/_emulator/status');
    assert.match(String(inspect.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });
});
