/**
 * Fuzzing a running gateway over real HTTP (issue 13): fast-check-generated requests against one tocsin process with
 * a source of every type. Bad input gets a 4xx and stores nothing (checked in the database itself), good input a 2xx,
 * nothing ever a 5xx, and the process neither crashes nor hangs. `npm run fuzz` runs it longer (test/fuzz/runs.ts).
 *
 * The last describe block holds the counterexamples of defects known from issue 13 (repeated query parameters,
 * metadata nested thousands deep, a chunked body past a source's body_limit) as regression properties.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  PROTOTYPE_NAMES, cloudWatchAlarm, hostileJson, sentryWebhook, snsNotification, hostileObject, hostileString, mutated, nativeAlert, nestedJson, notification, runResults, withOneBad,
} from '../fuzz/arbitraries.ts';
import { StoreProbe, raw, stalled, type RawRequest, type RawResponse } from '../fuzz/gateway.ts';
import { check, runs } from '../fuzz/runs.ts';
import { ADMIN_TOKEN, Emulator, freePort, gatewayConfig, startTocsin, tempDir, writeConfig, type TocsinProcess } from '../harness.ts';

const SOURCES = {
  app: { type: 'alerts', token: 'fuzz-app-token-0123456789abcdef' },
  am: { type: 'alertmanager', token: 'fuzz-am-token-0123456789abcdef' },
  graf: { type: 'grafana', token: 'fuzz-graf-token-0123456789abcde' },
  dbt: { type: 'dbt', token: 'fuzz-dbt-token-0123456789abcdef' },
  versus: { type: 'versus', token: 'fuzz-versus-token-0123456789abc' },
  hook: { type: 'webhook', token: 'fuzz-hook-token-0123456789abcde', title: 'title', dedup_key: 'id', severity: 'level' },
  small: { type: 'alerts', token: 'fuzz-small-token-0123456789abcd', body_limit: 4096 },
} as const;
type SourceName = keyof typeof SOURCES;
const NAMES = Object.keys(SOURCES) as SourceName[];

const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'text/plain; charset=UTF-8', 'application/x-ndjson', 'application/jsonl',
  'application/xml', 'text/html', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/octet-stream',
  'application/json; charset=latin1', 'Application/JSON', 'application/vnd.api+json', '',
];

/** Bodies as bytes: JSON of any shape, well-formed payloads spoiled in places, and things that are not JSON at all. */
const wellFormed = fc.oneof(notification('4'), notification('1'), nativeAlert, fc.array(nativeAlert, { minLength: 1, maxLength: 3 }), runResults, cloudWatchAlarm, snsNotification, sentryWebhook);
const bodyBytes: fc.Arbitrary<{ kind: string; bytes: Buffer }> = fc.oneof(
  hostileJson(4).map((v) => ({ kind: 'json', bytes: Buffer.from(JSON.stringify(v)) })),
  mutated(wellFormed).map((v) => ({ kind: 'mutated', bytes: Buffer.from(JSON.stringify(v)) })),
  fc.tuple(hostileJson(3), fc.nat()).map(([v, n]) => {
    const text = JSON.stringify(v);
    return { kind: 'truncated', bytes: Buffer.from(text.slice(0, n % Math.max(1, text.length))) };
  }),
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ kind: 'bytes', bytes: Buffer.from(b) })),
  // Invalid UTF-8 inside a JSON string: lone continuation bytes, overlong forms, a truncated sequence.
  fc.tuple(nativeAlert, fc.uint8Array({ minLength: 1, maxLength: 6 }).map((b) => b.map((x) => 0x80 | x))).map(([a, bad]) => {
    const [head, tail] = JSON.stringify({ ...a, title: 'X' }).split('"X"') as [string, string];
    return { kind: 'invalid-utf8', bytes: Buffer.concat([Buffer.from(`${head}"bad `), Buffer.from(bad), Buffer.from(`"${tail}`)]) };
  }),
  fc.array(hostileObject(2), { minLength: 2, maxLength: 4 }).map((items) => ({ kind: 'ndjson', bytes: Buffer.from(items.map((i) => JSON.stringify(i)).join('\n')) })),
  fc.tuple(fc.constantFrom('__proto__', 'constructor'), hostileJson(2)).map(([k, v]) => ({
    kind: 'prototype-key',
    bytes: Buffer.from(`{"title":"t","metadata":{"${k}":${k === 'constructor' ? `{"prototype":${JSON.stringify(v)}}` : JSON.stringify(v)}}}`),
  })),
);

const queryKey = fc.constantFrom('destination', 'incidentio_other_alert_source', 'oncall_enable', 'source', 'token', 'x', ...PROTOTYPE_NAMES.slice(0, 4));
/** Percent-encodes every byte but the unreserved ones; a lone surrogate becomes the invalid UTF-8 `%ED%A0%80`. */
const pct = (s: string) =>
  [...s]
    .map((ch) => {
      const code = ch.codePointAt(0)!;
      if (code >= 0xd800 && code <= 0xdfff) return `%ED%${(0x80 | ((code >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 | (code & 0x3f)).toString(16).toUpperCase()}`;
      return /^[A-Za-z0-9\-._~]$/.test(ch) ? ch : [...Buffer.from(ch)].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
    })
    .join('');
/** A query value, sometimes with a malformed escape (`%`, `%zz`, a bare `%FF`) as hand-made URLs have. */
const queryValue = fc.oneof({ weight: 4, arbitrary: hostileString.map((v) => pct(v.slice(0, 200))) }, { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%FF', '%C0%AF', '%00', '+', '%2', 'a%20b') });
/** A query value as the server reads it; a malformed escape is kept as written. */
const safeDecode = (v: string) => {
  try {
    return decodeURIComponent(v.replace(/\+/g, ' '));
  } catch {
    return v;
  }
};

const queryString = (keys: fc.Arbitrary<string>, unique: boolean) =>
  (unique ? fc.uniqueArray(fc.tuple(keys, queryValue), { selector: ([k]) => k, maxLength: 4 }) : fc.array(fc.tuple(keys, queryValue), { maxLength: 4 })).map((pairs) =>
    pairs.length ? `?${pairs.map(([k, v]) => `${pct(k)}=${v}`).join('&')}` : '',
  );

/** What a request was, for an assertion message: never the megabyte itself. */
const describeRequest = (what: Record<string, unknown>) => JSON.stringify(what, (_k, v) => (typeof v === 'string' && v.length > 300 ? `${v.slice(0, 300)}…(${v.length})` : v));

describe('fuzzing a running gateway over HTTP', () => {
  let emu: Emulator;
  let gw: TocsinProcess;
  let store: StoreProbe;

  before(async () => {
    emu = await Emulator.start();
    // No storm: the destination drains anything the fuzzing accepts at once.
    await emu.rateLimits({ alert_events_per_minute: 1_000_000, api_requests_per_minute: 1_000_000 });
    const dir = tempDir('tocsin-fuzz-');
    const port = await freePort();
    const config = gatewayConfig(emu, dir, port, { sources: SOURCES, log_level: 'warn', delivery: { poll_interval: '100ms' } });
    (config.destinations.oncall as Record<string, unknown>).rate_limit_per_minute = 1_000_000;
    (config.destinations.oncall as Record<string, unknown>).rate_limit_burst = 1_000;
    gw = await startTocsin(writeConfig(dir, config), { port });
    store = new StoreProbe(join(dir, 'tocsin.db'), NAMES);
  });
  after(async () => {
    store?.close();
    await gw?.kill();
    await emu?.close();
  });

  const alive = () => assert.equal(gw.proc.exitCode, null, `tocsin exited:\n${gw.output.slice(-30).join('\n')}`);

  /** Sends one request and checks what holds for every answer: no 5xx, a JSON error for a 4xx, and nothing written by it. */
  async function send(path: string, r: RawRequest, what: Record<string, unknown>): Promise<RawResponse> {
    const before = store.snapshot();
    const res = await raw(`${gw.url}${path}`, r);
    const about = () => `${res.status} ${res.text.slice(0, 300)} for ${describeRequest({ path, ...what })}`;
    assert.ok(res.status < 500, about());
    assert.ok(res.ms < 10_000, `took ${Math.round(res.ms)} ms: ${about()}`);
    if (res.status >= 400) {
      const body = JSON.parse(res.text) as { error?: { code?: unknown; message?: unknown } };
      assert.equal(typeof body.error?.code, 'string', about());
      assert.equal(typeof body.error?.message, 'string', about());
      assert.deepEqual(store.snapshot(), before, `a refused request changed the store: ${about()}`);
    }
    return res;
  }

  test('hostile bodies, content types, queries and credentials on every ingest route: never a 5xx; a refusal stores nothing', async () => {
    const statuses = new Map<number, number>();
    await check(
      fc.asyncProperty(
        fc.constantFrom(...NAMES),
        fc.constantFrom('bearer', 'bearer', 'bearer', 'basic', 'query', 'wrong', 'none', 'other-source'),
        fc.constantFrom(...CONTENT_TYPES),
        bodyBytes,
        queryString(queryKey, false),
        fc.boolean(),
        async (name, auth, contentType, body, query, versusPath) => {
          const token = auth === 'wrong' ? 'not-the-token-0123456789' : auth === 'other-source' ? SOURCES[name === 'app' ? 'am' : 'app'].token : SOURCES[name].token;
          const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
          if (auth === 'bearer' || auth === 'wrong' || auth === 'other-source') headers.authorization = `Bearer ${token}`;
          if (auth === 'basic') headers.authorization = `Basic ${Buffer.from(`sns:${token}`).toString('base64')}`;
          const q = auth === 'query' ? `${query}${query ? '&' : '?'}token=${token}` : query;
          // Versus' own path picks the only versus source; `?source=` in the generated query may name another.
          const path = name === 'versus' && versusPath ? `/api/incidents${q}` : `/ingest/${name}${q}`;
          const res = await send(path, { headers, body: body.bytes }, { auth, contentType, kind: body.kind, body: body.bytes.toString('latin1') });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          // A parameter given more than once counts once, by its first value (server.ts: a 4xx would lose the page),
          // so a generated `token=` ahead of the right one is the token tried.
          const tokens = [...q.matchAll(/[?&]token=([^&]*)/g)].map((m) => safeDecode(m[1]!));
          const firstTokenWrong = tokens.length > 0 && tokens[0] !== token;
          if (auth === 'wrong' || auth === 'none' || auth === 'other-source' || (auth === 'query' && firstTokenWrong)) {
            if (!(auth === 'none' && tokens[0] === token)) assert.equal(res.status, 401, `${res.status} without this source's token`);
          }
          if (res.status === 202 && new Set(tokens).size > 1) assert.ok(res.text.includes('the first one was used'), 'the 202 says which value was used');
        },
      ),
      runs(200),
    );
    alive();
    // The run must have reached the parsers, not only the front door.
    assert.ok((statuses.get(202) ?? 0) > 0 && (statuses.get(400) ?? 0) > 0, `statuses seen: ${JSON.stringify([...statuses])}`);
  });

  test('well-formed payloads of every source type: 202, and each alert readable through the management API', async () => {
    const clean = (v: unknown) => !/__proto__|prototype/.test(JSON.stringify(v));
    const payload: Record<Exclude<SourceName, 'small'>, fc.Arbitrary<unknown>> = {
      app: fc.array(nativeAlert, { minLength: 1, maxLength: 5 }),
      am: notification('4'),
      graf: notification('1'),
      dbt: runResults,
      versus: fc.oneof(hostileObject(3).filter((o) => !('Type' in o && 'TopicArn' in o)), cloudWatchAlarm.filter((a) => a.NewStateValue !== 'INSUFFICIENT_DATA'), snsNotification, sentryWebhook),
      hook: fc.oneof(hostileObject(3), fc.array(hostileObject(2), { minLength: 1, maxLength: 4 })),
    };
    const cases = fc.oneof(...Object.entries(payload).map(([name, arb]) => fc.tuple(fc.constant(name as SourceName), arb.filter(clean))));
    await check(
      fc.asyncProperty(cases, async ([name, body]) => {
        const res = await send(`/ingest/${name}`, { headers: { 'content-type': 'application/json', authorization: `Bearer ${SOURCES[name].token}` }, body: JSON.stringify(body) }, { name, body });
        assert.equal(res.status, 202, `${res.status} ${res.text.slice(0, 500)} for ${describeRequest({ name, body })}`);
        const { results } = JSON.parse(res.text) as { results: { id: string | null; dedup_key: string }[] };
        for (const r of results.filter((x) => x.id !== null).slice(0, 5)) {
          const got = await raw(`${gw.url}/api/v1/alerts/${encodeURIComponent(r.id!)}`, { method: 'GET', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
          assert.equal(got.status, 200, got.text);
          const alert = (JSON.parse(got.text) as { alert: { source: string; dedup_key: string } }).alert;
          assert.deepEqual([alert.source, alert.dedup_key], [name, r.dedup_key]);
        }
      }),
      runs(60),
    );
    alive();
  });

  test('the same request twice: the second changes nothing (every result "unchanged", the store as it was)', async () => {
    const clean = (v: unknown) => !/__proto__|prototype/.test(JSON.stringify(v));
    const cases = fc.oneof(
      fc.tuple(fc.constant('app' as SourceName), fc.array(nativeAlert, { minLength: 1, maxLength: 4 })),
      fc.tuple(fc.constantFrom('am', 'graf') as fc.Arbitrary<SourceName>, notification('4')),
      fc.tuple(fc.constant('dbt' as SourceName), runResults),
      fc.tuple(fc.constantFrom('versus', 'hook') as fc.Arbitrary<SourceName>, fc.oneof(hostileObject(3), fc.array(hostileObject(2), { minLength: 1, maxLength: 3 }))),
    ).filter(([, b]) => clean(b));
    await check(
      fc.asyncProperty(cases, async ([name, body]) => {
        const post = () => send(`/ingest/${name}`, { headers: { 'content-type': 'application/json', authorization: `Bearer ${SOURCES[name].token}` }, body: JSON.stringify(body) }, { name, body });
        const first = await post();
        assert.equal(first.status, 202, first.text.slice(0, 300));
        const keys = (JSON.parse(first.text) as { results: { dedup_key: string }[] }).results.map((r) => r.dedup_key);
        // One alert said twice in a batch (different content under one key) is an update each time: not this property.
        if (new Set(keys).size < keys.length) return;
        const stored = store.snapshot();
        const second = await post();
        assert.equal(second.status, 202, second.text.slice(0, 300));
        const results = (JSON.parse(second.text) as { results: { dedup_key: string; result: string }[] }).results;
        assert.deepEqual(results.map((r) => [r.dedup_key, r.result]), keys.map((k) => [k, 'unchanged']), `the repeat changed something: ${describeRequest({ name, body })}`);
        assert.deepEqual({ ...store.snapshot(), events: 0, updated: 0 }, { ...stored, events: 0, updated: 0 }, 'the repeat wrote a transition or a delivery');
      }),
      runs(40),
    );
  });

  test('a batch with one bad element is refused whole (400): none of its good alerts is stored', async () => {
    const badAlert = fc.constantFrom(null, 7, 'x', [], { title: 42 }, { title: 't', status: 'maybe' });
    const badNotified = fc.constantFrom(null, 7, { status: 'pending', labels: {} }, { status: 'firing', labels: { a: 1 } }, { status: 'firing' });
    const cases = fc.oneof(
      fc.tuple(fc.constant('app' as SourceName), withOneBad(fc.array(nativeAlert.filter((a) => !/__proto__|prototype/.test(JSON.stringify(a))), { minLength: 2, maxLength: 6 }), badAlert).map((b) => b.items)),
      fc.tuple(fc.constantFrom('am', 'graf') as fc.Arbitrary<SourceName>, fc.tuple(notification('4'), badNotified, fc.nat()).map(([n, bad, i]) => ({ ...n, alerts: n.alerts.map((a, j) => (j === i % n.alerts.length ? bad : a)) }))),
      fc.tuple(fc.constant('dbt' as SourceName), fc.tuple(runResults, fc.constantFrom({ status: 'fail' }, { unique_id: 'model.p.x' }, null), fc.nat()).map(([r, bad, i]) => ({ ...r, results: r.results.toSpliced(i % (r.results.length + 1), 0, bad as never) }))),
    );
    await check(
      fc.asyncProperty(cases, async ([name, body]) => {
        const res = await send(`/ingest/${name}`, { headers: { 'content-type': 'application/json', authorization: `Bearer ${SOURCES[name].token}` }, body: JSON.stringify(body) }, { name, body });
        assert.equal(res.status, 400, res.text.slice(0, 300));
      }),
      runs(40),
    );
  });

  test('bodies over a source\'s body_limit (Content-Length) are refused with 413 and store nothing', async () => {
    await check(
      fc.asyncProperty(fc.integer({ min: 4097, max: 300_000 }), fc.constantFrom('small', 'app') as fc.Arbitrary<SourceName>, async (size, name) => {
        const limit = name === 'small' ? 4096 : 1024 * 1024;
        const n = name === 'small' ? size : limit + size;
        const body = JSON.stringify({ title: 'big', description: 'd'.repeat(n) });
        const res = await send(`/ingest/${name}`, { headers: { 'content-type': 'application/json', authorization: `Bearer ${SOURCES[name].token}` }, body }, { name, size: body.length });
        assert.equal(res.status, 413, res.text);
      }),
      runs(15),
    );
    alive();
  });

  test('management API: arbitrary queries, ids and bodies never answer 5xx; refusals change nothing', async () => {
    // Well-formed escapes only: a malformed one in the path is its own test below (Fastify answers it before our handler).
    const id = hostileString.map((s) => pct(s.slice(0, 100).toWellFormed()) || 'x');
    const mgmtKey = fc.constantFrom('status', 'source', 'unrouted', 'limit', 'cursor', 'destination', 'alert_id', 'x', 'token', ...PROTOTYPE_NAMES.slice(0, 3));
    const request = fc.oneof(
      queryString(mgmtKey, true).map((q) => ({ method: 'GET' as const, path: `/api/v1/alerts${q}` })),
      queryString(mgmtKey, true).map((q) => ({ method: 'GET' as const, path: `/api/v1/deliveries${q}` })),
      id.map((i) => ({ method: 'GET' as const, path: `/api/v1/alerts/${i}` })),
      id.map((i) => ({ method: 'GET' as const, path: `/api/v1/deliveries/${i}` })),
      fc.tuple(id, fc.constantFrom('acknowledge', 'resolve')).map(([i, a]) => ({ method: 'POST' as const, path: `/api/v1/alerts/${i}/${a}` })),
      fc.oneof(id, fc.constantFrom('1', '-1', '0', '1e3', '99999999999999999999', '0x10')).map((i) => ({ method: 'POST' as const, path: `/api/v1/deliveries/${i}/retry` })),
      fc.constantFrom('/api/v1/sources', '/api/v1/destinations', '/api/v1/nothing', '/api/v1/', '/api/v1/alerts/').map((p) => ({ method: 'GET' as const, path: p })),
      fc.tuple(hostileJson(2), fc.constantFrom(...CONTENT_TYPES), queryString(mgmtKey, true)).map(([b, ct, q]) => ({ method: 'POST' as const, path: `/-/reload${q}`, body: JSON.stringify(b), contentType: ct })),
    );
    const bulkRetry = fc
      .tuple(fc.oneof(hostileJson(3), fc.record({ status: fc.constantFrom('dead', 'orphaned', 'pending', 'x'), destination: hostileString }, { requiredKeys: [] })), fc.constantFrom(...CONTENT_TYPES))
      .map(([b, ct]) => ({ method: 'POST' as const, path: '/api/v1/deliveries/retry', body: JSON.stringify(b), contentType: ct }));
    await check(
      fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: request }, { weight: 1, arbitrary: bulkRetry }), fc.constantFrom('admin', 'admin', 'admin', 'wrong', 'none', 'source'), async (r, auth) => {
        const headers: Record<string, string> = {};
        if (auth !== 'none') headers.authorization = `Bearer ${auth === 'admin' ? ADMIN_TOKEN : auth === 'source' ? SOURCES.app.token : 'wrong-admin-token-012345678'}`;
        const body = 'body' in r ? r.body : undefined;
        if ('contentType' in r && r.contentType) headers['content-type'] = r.contentType;
        const res = await send(r.path, { method: r.method, headers, ...(body !== undefined ? { body } : {}) }, { ...r, auth });
        if (auth !== 'admin') assert.ok(res.status === 401 || res.status === 404, `${res.status} without the admin token`);
      }),
      runs(150),
    );
    alive();
  });
});

describe('fuzzing a running gateway: defects known from issue 13 (regression properties)', () => {
  let emu: Emulator;
  let gw: TocsinProcess;
  let store: StoreProbe;

  before(async () => {
    emu = await Emulator.start();
    const dir = tempDir('tocsin-fuzz-known-');
    const port = await freePort();
    gw = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { sources: SOURCES, log_level: 'warn', request_timeout: `${REQUEST_TIMEOUT_S}s` })), { port });
    store = new StoreProbe(join(dir, 'tocsin.db'), NAMES);
  });
  after(async () => {
    store?.close();
    await gw?.kill();
    await emu?.close();
  });
  const REQUEST_TIMEOUT_S = 2;

  const refusedCleanly = async (path: string, r: RawRequest) => {
    const before = store.snapshot();
    const res = await raw(`${gw.url}${path}`, r);
    assert.ok(res.status < 500, `${res.status} ${res.text.slice(0, 300)}`);
    if (res.status >= 400) assert.deepEqual(store.snapshot(), before, 'a refused request changed the store');
    return res;
  };

  test('a repeated query parameter is read or refused (4xx), never a 500', async () => {
    const keys = fc.constantFrom('destination', 'status', 'source', 'limit', 'cursor', 'alert_id', 'unrouted');
    await check(
      fc.asyncProperty(fc.constantFrom('/api/v1/alerts', '/api/v1/deliveries'), keys, fc.array(fc.constantFrom('a', 'dead', '1', 'true', ''), { minLength: 2, maxLength: 3 }), async (path, key, values) => {
        const q = values.map((v) => `${key}=${encodeURIComponent(v)}`).join('&');
        await refusedCleanly(`${path}?${q}`, { method: 'GET', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      }),
      runs(20, { examples: [['/api/v1/deliveries', 'destination', ['a', 'a']]] }),
    );
  });

  test('metadata nested thousands of levels deep: a 400 that names the limit (or stored), never a 5xx', async () => {
    await check(
      fc.asyncProperty(fc.integer({ min: 200, max: 6000 }), fc.constantFrom('object', 'array') as fc.Arbitrary<'object' | 'array'>, fc.constantFrom('app', 'hook', 'versus') as fc.Arbitrary<SourceName>, async (depth, kind, name) => {
        const body = `{"title":"deep ${depth}","id":"deep-${depth}-${kind}","metadata":${nestedJson(depth, kind)}}`;
        const res = await refusedCleanly(`/ingest/${name}`, { headers: { 'content-type': 'application/json', authorization: `Bearer ${SOURCES[name].token}` }, body });
        if (res.status === 400) assert.match(res.text, /deep|depth|nest/i, 'the 400 names the limit');
        else assert.equal(res.status, 202, res.text.slice(0, 300));
      }),
      runs(12, { examples: [[3000, 'object', 'app']] }),
    );
  });

  test('a malformed escape in the path answers a 4xx in tocsin\'s error shape, like every other refusal', async () => {
    await check(
      fc.asyncProperty(fc.constantFrom('/api/v1/alerts/', '/api/v1/deliveries/', '/ingest/', '/nowhere/'), fc.constantFrom('%ED%A0%80', '%FF', '%', '%zz', '%C0%AF'), async (prefix, bad) => {
        const res = await refusedCleanly(`${prefix}${bad}`, { method: prefix === '/ingest/' ? 'POST' : 'GET', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        assert.ok(res.status >= 400 && res.status < 500, `${res.status}`);
        const body = JSON.parse(res.text) as { error?: { code?: unknown; message?: unknown } };
        assert.equal(typeof body.error?.code, 'string', `not { error: { code, message } }: ${res.text.slice(0, 300)}`);
      }),
      runs(10, { examples: [['/api/v1/alerts/', '%ED%A0%80']] }),
    );
  });

  test('a body that stalls: 401 at once without the token, 408 after request_timeout with it; the connection closed, nothing stored', async () => {
    await check(
      fc.asyncProperty(fc.constantFrom('none', 'wrong', 'good'), fc.integer({ min: 0, max: 500 }), fc.constantFrom('app', 'versus') as fc.Arbitrary<SourceName>, async (auth, sent, name) => {
        const before = store.snapshot();
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (auth !== 'none') headers.authorization = `Bearer ${auth === 'good' ? SOURCES[name].token : 'wrong-token-0123456789abcdef'}`;
        const r = await stalled(`${gw.url}/ingest/${name}`, headers, 1000, sent, REQUEST_TIMEOUT_S * 1000 + 4000);
        if (auth === 'good') assert.equal(r.status, 408, `a stalled body with the token: ${JSON.stringify(r)}`);
        else assert.equal(r.status, 401, `a stalled body without the token: ${JSON.stringify(r)}`);
        assert.ok(r.closedAfterMs !== undefined, `the connection was still open ${REQUEST_TIMEOUT_S + 4} s later`);
        assert.deepEqual(store.snapshot(), before);
      }),
      runs(2, { examples: [['none', 10, 'app'], ['good', 10, 'app']] }),
    );
  });

  test("a chunked body over the source's body_limit is refused (413) and stores nothing", async () => {
    await check(
      fc.asyncProperty(fc.integer({ min: 5_000, max: 200_000 }), fc.integer({ min: 512, max: 16_384 }), async (size, chunk) => {
        const body = JSON.stringify({ title: 'chunked', description: 'c'.repeat(size) });
        const res = await refusedCleanly('/ingest/small', { headers: { 'content-type': 'application/json', authorization: `Bearer ${SOURCES.small.token}` }, body, chunked: chunk });
        assert.equal(res.status, 413, res.text.slice(0, 300));
      }),
      runs(6, { examples: [[8_000, 1024]] }),
    );
  });
});
