import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

// Sender authentication as incident.io's own HTTP alert sources take it, on every ingest route, through a real
// tocsin process; and a token in the query string never reaching its output (logged at trace, the most verbose).
const VERSUS_TOKEN = 'versus-source-token-9f8e7d6c5b4a';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

type Method = 'bearer' | 'basic' | 'basic-no-user' | 'query';
const METHODS: Method[] = ['bearer', 'basic', 'basic-no-user', 'query'];

/** A request authenticated one way: headers and the URL suffix. */
function credential(method: Method, token: string, query = ''): { headers: Record<string, string>; suffix: string } {
  const sep = query ? '&' : '?';
  switch (method) {
    case 'bearer':
      return { headers: { authorization: `Bearer ${token}` }, suffix: query };
    case 'basic':
      return { headers: { authorization: basic('aws-sns', token) }, suffix: query };
    case 'basic-no-user':
      return { headers: { authorization: basic('', token) }, suffix: query };
    case 'query':
      return { headers: {}, suffix: `${query}${sep}token=${encodeURIComponent(token)}` };
  }
}

describe('ingest authentication (Bearer, Basic, ?token=) end to end', () => {
  let emu: Emulator;
  let gw: TocsinProcess;

  const routes = () => [
    { path: '/ingest/app', token: APP_TOKEN, key: (k: string) => `app:${k}` },
    { path: '/ingest/versus', token: VERSUS_TOKEN, key: (k: string) => `versus:${k}` },
    // Versus' own path: the only versus source is picked.
    { path: '/api/incidents', token: VERSUS_TOKEN, key: (k: string) => `versus:${k}` },
  ];
  const post = (path: string, method: Method, token: string, body: unknown, query = '', headers: Record<string, string> = {}) => {
    const c = credential(method, token, query);
    return http('POST', `${gw.url}${path}${c.suffix}`, { headers: { ...c.headers, ...headers }, body });
  };

  before(async () => {
    emu = await Emulator.start();
    const dir = tempDir();
    const port = await freePort();
    const sources = { app: { type: 'alerts', token: APP_TOKEN }, versus: { type: 'versus', token: VERSUS_TOKEN } };
    gw = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { sources, log_level: 'trace', delivery: { poll_interval: '100ms' } })), { port });
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  test('each way of presenting the token is accepted on every ingest route, and the alert reaches incident.io', async () => {
    const expected: string[] = [];
    for (const route of routes()) {
      for (const method of METHODS) {
        const dedup = `${route.path.replaceAll('/', '_')}-${method}`;
        const r = await post(route.path, method, route.token, { title: `auth via ${method} on ${route.path}`, dedup_key: dedup });
        assert.equal(r.status, 202, `${method} ${route.path}: ${r.text}`);
        expected.push(route.key(dedup));
      }
    }
    await waitFor('every alert in incident.io', async () => {
      const keys = new Set((await emu.alerts()).map((a) => a.deduplication_key));
      return expected.every((k) => keys.has(k));
    }, 20_000);
  });

  test('a wrong token, in any form, and an unknown source get the same 401 with Basic and Bearer challenges', async () => {
    const answers: string[] = [];
    for (const method of METHODS) {
      for (const route of routes()) {
        const r = await post(route.path, method, 'not-the-right-token-0000', { title: 'x' });
        assert.equal(r.status, 401, `${method} ${route.path}`);
        answers.push(r.text);
        const challenges = ([] as string[]).concat(r.headers['www-authenticate'] ?? []);
        assert.ok(challenges.some((c) => /^Basic realm="tocsin"/.test(c)) && challenges.some((c) => /^Bearer/.test(c)), JSON.stringify(challenges));
      }
      // The right token for another source, and a source that does not exist, look the same.
      answers.push((await post('/ingest/app', method, VERSUS_TOKEN, { title: 'x' })).text);
      answers.push((await post('/ingest/nope', method, APP_TOKEN, { title: 'x' })).text);
      answers.push((await post('/api/incidents', method, VERSUS_TOKEN, { title: 'x' }, '?source=nope')).text);
    }
    // The token as the Basic user name (empty password) is no password.
    answers.push((await http('POST', `${gw.url}/ingest/app`, { headers: { authorization: basic(APP_TOKEN, '') }, body: { title: 'x' } })).text);
    // Nothing at all.
    answers.push((await http('POST', `${gw.url}/ingest/app`, { body: { title: 'x' } })).text);
    assert.equal(new Set(answers).size, 1, [...new Set(answers)].join('\n'));
    assert.match(answers[0]!, /"code":"unauthorized"/);

    // The management API stays Bearer-only.
    assert.equal((await http('GET', `${gw.url}/api/v1/alerts?token=${ADMIN_TOKEN}`)).status, 401);
    assert.equal((await http('GET', `${gw.url}/api/v1/alerts`, { headers: { authorization: basic('admin', ADMIN_TOKEN) } })).status, 401);
  });

  test('a query-string token never reaches a log line, an error or an answer', async () => {
    const q = `?token=${APP_TOKEN}`;
    const answers: string[] = [];
    const record = async (p: Promise<{ status: number; text: string; headers: Record<string, unknown> }>, status: number, what: string) => {
      const r = await p;
      assert.equal(r.status, status, `${what}: ${r.text}`);
      answers.push(r.text, JSON.stringify(r.headers));
    };
    const url = (path: string) => `${gw.url}${path}${q}`;
    await record(http('POST', url('/ingest/app'), { body: { title: 'query token leak check', dedup_key: 'leak' } }), 202, 'accepted');
    await record(http('POST', url('/ingest/app'), { body: { title: '' } }), 400, 'invalid field');
    await record(http('POST', url('/ingest/app'), { raw: '{"title": ', headers: { 'content-type': 'application/json' } }), 400, 'broken JSON');
    await record(http('POST', url('/ingest/app'), { raw: '{"title": ', headers: { 'content-type': 'text/plain; charset=UTF-8' } }), 400, 'broken JSON as text/plain');
    await record(http('POST', url('/ingest/app'), { raw: 'disk full', headers: { 'content-type': 'text/plain' } }), 415, 'plain text');
    await record(http('POST', url('/ingest/app'), { raw: '<alert/>', headers: { 'content-type': 'application/xml' } }), 415, 'xml');
    await record(http('POST', url('/ingest/app'), { raw: `{"title":"${'x'.repeat(2_000_000)}"}`, headers: { 'content-type': 'application/json' } }), 413, 'too large');
    await record(http('POST', url('/ingest/nope')), 401, 'unknown source');
    await record(http('POST', `${gw.url}/ingest/app?token=wrong-${APP_TOKEN}`, { body: { title: 'x' } }), 401, 'wrong token containing the right one');
    await record(http('GET', url('/ingest/app')), 404, 'no such route');
    await record(http('POST', url('/api/incidents'), { body: { title: 'x' } }), 401, 'app token on the versus route');
    await record(http('POST', `${gw.url}/api/incidents?source=versus&token=${VERSUS_TOKEN}`, { body: { Logs: 'pool exhausted', ServiceName: 'orders' } }), 202, 'versus route');

    // A request Node's HTTP parser refuses (a bad Content-Length): Fastify logs such client errors at trace.
    const raw = await new Promise<string>((resolve, reject) => {
      const s = connect(Number(new URL(gw.url).port), '127.0.0.1', () => s.write(`POST /ingest/app${q} HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n{}`));
      let got = '';
      s.on('data', (c) => (got += c));
      s.on('close', () => resolve(got));
      s.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1.1 400/);

    // Everything tocsin wrote, once it has flushed and exited.
    await new Promise((r) => setTimeout(r, 300));
    await gw.kill();
    const output = gw.output.join('\n');
    assert.match(output, /"path":"\/ingest\/app","status":202/, 'requests were logged, by path');
    assert.match(output, /"path":"\/ingest\/app","status":415/);
    assert.match(output, /client error/, "the refused request was logged");
    const leaks = [APP_TOKEN, VERSUS_TOKEN, encodeURIComponent(APP_TOKEN), Buffer.from(APP_TOKEN).toString('hex'), Buffer.from(`aws-sns:${APP_TOKEN}`).toString('base64')];
    for (const secret of leaks) {
      for (const [where, text] of [['tocsin output', output], ['answers', answers.join('\n')]] as const) {
        const at = text.indexOf(secret);
        assert.equal(at, -1, `${secret} in ${where}: …${text.slice(Math.max(0, at - 200), at + 60)}…`);
      }
    }
    // Bytes of a raw packet, as a JSON array of numbers, would hide the token from a plain search.
    assert.doesNotMatch(output, /rawPacket/);
  });
});
