import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, writeConfig, type TocsinProcess } from '../harness.ts';

// Requests found by hostile testing (issue 13), against a real tocsin process: slow bodies and headers, chunked
// bodies past a source's body_limit, a reload that raises it, repeated query parameters, and bodies nested
// thousands of levels deep. Each is answered with a clear 4xx within a bound, and never costs a legitimate sender.
const VERSUS_TOKEN = 'versus-source-token-9f8e7d6c5b4a';
const SMALL_TOKEN = 'small-source-token-0123456789';
const AM_TOKEN = 'alertmanager-source-token-0123456789';
const REQUEST_TIMEOUT_MS = 2000;

interface RawOutcome {
  /** The status line's code of the first answer, if any came. */
  status?: number;
  answeredMs?: number;
  closedMs: number;
  /** Everything the server sent. */
  text: string;
}

/**
 * A request written by hand: `head` at once, then `piece` (a space) every `everyMs` until the server answers or
 * hangs up (or `stopAfterMs`, then the socket is left open and idle). Times are from the connection's start.
 */
function rawRequest(port: number, head: string, opts: { everyMs: number; stopAfterMs?: number; trickleHead?: boolean; piece?: string }): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const started = Date.now();
    const out: RawOutcome = { closedMs: -1, text: '' };
    let got = '';
    const s = connect(port, '127.0.0.1');
    let sent = 0;
    const timer = setInterval(() => {
      if (opts.stopAfterMs !== undefined && Date.now() - started > opts.stopAfterMs) return;
      if (!s.writable) return;
      if (opts.trickleHead && sent < head.length) s.write(head[sent++]!);
      else s.write(opts.piece ?? ' ');
    }, opts.everyMs);
    s.on('connect', () => {
      if (!opts.trickleHead) s.write(head);
    });
    s.on('data', (c) => {
      got += c.toString();
      if (out.status === undefined) {
        const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
        if (m) {
          out.status = Number(m[1]);
          out.answeredMs = Date.now() - started;
        }
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearInterval(timer);
      out.closedMs = Date.now() - started;
      out.text = got;
      resolve(out);
    });
    // Never left open past the test: a connection still open then is reported by its closedMs (about 20 s).
    setTimeout(() => s.destroy(), 20_000).unref();
  });
}

/** One request on a connection of its own: what a sender that is not already connected gets. */
async function freshPost(url: string, token: string, body: unknown): Promise<number | string> {
  const agent = new Agent({ connections: 1 });
  try {
    const r = await request(url, { method: 'POST', dispatcher: agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await r.body.text();
    return r.statusCode;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  } finally {
    await agent.close();
  }
}

const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

const head = (path: string, headers: Record<string, string>) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n{`;

describe('hostile HTTP: slow requests, body limits, repeated parameters, deep nesting', () => {
  let emu: Emulator;
  let gw: TocsinProcess;
  let dir: string;
  let port: number;
  const config = (smallLimit: number) => {
    const sources = {
      app: { type: 'alerts', token: APP_TOKEN },
      versus: { type: 'versus', token: VERSUS_TOKEN },
      small: { type: 'alerts', token: SMALL_TOKEN, body_limit: smallLimit },
      am: { type: 'alertmanager', token: AM_TOKEN },
    };
    return gatewayConfig(emu, dir, port, { sources, request_timeout: `${REQUEST_TIMEOUT_MS}ms` });
  };

  before(async () => {
    emu = await Emulator.start();
    dir = tempDir();
    port = await freePort();
    gw = await startTocsin(writeConfig(dir, config(1000)), { port });
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  test('slow bodies and headers, with or without a token, are closed within the bound while ingest answers at once', async () => {
    const unauthenticated = Array.from({ length: 150 }, (_, i) =>
      rawRequest(port, head(i % 2 ? '/ingest/app' : '/api/v1/deliveries/retry', { 'Content-Length': '100000' }), { everyMs: 200 }),
    );
    const authenticated = Array.from({ length: 20 }, () =>
      rawRequest(port, head('/ingest/app', { 'Content-Length': '100000', Authorization: `Bearer ${APP_TOKEN}` }), { everyMs: 200 }),
    );
    const chunked = Array.from({ length: 10 }, () =>
      rawRequest(port, head('/ingest/app', { 'Transfer-Encoding': 'chunked', Authorization: `Bearer ${APP_TOKEN}` }).replace(/\{$/, '1\r\n{\r\n'), { everyMs: 200, piece: '1\r\n \r\n' }),
    );
    const slowHeaders = Array.from({ length: 10 }, () => rawRequest(port, head('/ingest/app', { Authorization: `Bearer ${APP_TOKEN}`, 'Content-Length': '2' }), { everyMs: 200, trickleHead: true }));
    // Connected and sent nothing at all: the headers deadline holds for them too.
    const silent = Array.from({ length: 10 }, () => rawRequest(port, '', { everyMs: 200, stopAfterMs: 0 }));

    // Meanwhile a legitimate sender is answered at once, every time.
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      const r = await http('POST', `${gw.url}/ingest/app`, { token: APP_TOKEN, body: { title: `while under attack ${i}`, dedup_key: `attack-${i}` } });
      assert.equal(r.status, 202, r.text);
      // Tens of ms when the machine is quiet; the bound allows for a loaded CI machine, not for waiting on the slow ones.
      assert.ok(Date.now() - t0 < 5000, `ingest took ${Date.now() - t0} ms`);
    }
    // A slow sender that finishes within request_timeout is fine.
    const slowButInTime = await request(`${gw.url}/ingest/app`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP_TOKEN}`, 'content-type': 'application/json' },
      body: Readable.from(
        (async function* () {
          for (const piece of ['{"title":', '"slow but in time",', '"dedup_key":"slow-ok"}']) {
            yield piece;
            await new Promise((r) => setTimeout(r, 300));
          }
        })(),
      ),
    });
    assert.equal(slowButInTime.statusCode, 202, await slowButInTime.body.text());

    const bound = REQUEST_TIMEOUT_MS + 1000 + 1500; // the timeout, Node's check interval (≤ 1 s), slack for a busy machine
    for (const r of await Promise.all(unauthenticated)) {
      assert.equal(r.status, 401);
      assert.ok(r.answeredMs! < 2500, `401 after ${r.answeredMs} ms`);
      // Answered, then a 1 s grace to finish the body (plus slack for a busy machine); never held for the timeout.
      assert.ok(r.closedMs - r.answeredMs! < 1000 + 700, `unauthenticated slow body closed ${r.closedMs - r.answeredMs!} ms after its 401`);
    }
    for (const r of [...(await Promise.all(authenticated)), ...(await Promise.all(chunked)), ...(await Promise.all(slowHeaders)), ...(await Promise.all(silent))]) {
      assert.ok(r.closedMs < bound, `slow request closed after ${r.closedMs} ms (bound ${bound})`);
      assert.ok(r.closedMs >= Math.min(REQUEST_TIMEOUT_MS, 2000) - 100, `closed too early: ${r.closedMs} ms`);
    }
    for (const r of await Promise.all(authenticated)) {
      assert.equal(r.status, 408);
      assert.match(r.text, /"code":"request_timeout","message":"the request did not arrive in time \(request_timeout in the config/);
    }
    for (const r of await Promise.all(slowHeaders)) assert.equal(r.status, 408);
  });

  test("a chunked body past the source's body_limit is a 413 naming it; a reload that raises the limit applies to the next request", async () => {
    const chunkedPost = (bytes: number) =>
      request(`${gw.url}/ingest/small`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SMALL_TOKEN}`, 'content-type': 'application/json' },
        // Whitespace is valid JSON padding: the body is `bytes` long, the alert the same.
        body: Readable.from([Buffer.from('{"title":"padded","dedup_key":"padded"}'), Buffer.alloc(bytes - 39, 32)]),
      });
    const plainPost = (bytes: number) =>
      http('POST', `${gw.url}/ingest/small`, { token: SMALL_TOKEN, raw: `{"title":"padded","dedup_key":"padded"}${' '.repeat(bytes - 39)}`, headers: { 'content-type': 'application/json' } });

    const small = await chunkedPost(900);
    assert.equal(small.statusCode, 202, await small.body.text());
    const chunked = await chunkedPost(5000);
    const text = await chunked.body.text();
    assert.equal(chunked.statusCode, 413, text);
    assert.match(JSON.parse(text).error.message, /^the body is over 1000 bytes; this source accepts at most 1000 bytes \(body_limit\)$/);
    const plain = await plainPost(5000);
    assert.equal(plain.status, 413);
    assert.match(plain.body.error.message, /^the body is 5000 bytes; this source accepts at most 1000 bytes \(body_limit\)$/);

    // Past every limit known at start (32 MiB, the alertmanager default): only the reloaded config allows it.
    const big = 33 * 1024 * 1024;
    writeFileSync(gw.configPath, stringify(config(40 * 1024 * 1024)));
    const reloaded = await http('POST', `${gw.url}/-/reload`, { token: ADMIN_TOKEN });
    assert.equal(reloaded.status, 200, reloaded.text);
    assert.equal((await plainPost(big)).status, 202);
    const bigChunked = await chunkedPost(big);
    assert.equal(bigChunked.statusCode, 202, await bigChunked.body.text());

    writeFileSync(gw.configPath, stringify(config(1000)));
    assert.equal((await http('POST', `${gw.url}/-/reload`, { token: ADMIN_TOKEN })).status, 200);
    const lowered = await chunkedPost(5000);
    assert.equal(lowered.statusCode, 413, await lowered.body.text());
  });

  test('a repeated query parameter never answers 500: the same value counts once; different values are a 400 on the management API and the first value (with a warning) on ingest', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const app = { authorization: `Bearer ${APP_TOKEN}` };
    // The same value twice is no ambiguity: answered as if given once.
    const same: [string, string, Record<string, string>, unknown, number][] = [
      ['POST', '/ingest/app?destination=oncall&destination=oncall', app, { title: 'repeat same', dedup_key: 'repeat-same' }, 202],
      ['POST', `/ingest/app?token=${APP_TOKEN}&token=${APP_TOKEN}`, {}, { title: 'repeat token', dedup_key: 'repeat-token' }, 202],
      ['POST', `/api/incidents?source=versus&source=versus&token=${VERSUS_TOKEN}`, {}, { Logs: 'repeat versus' }, 202],
      ['GET', '/api/v1/alerts?status=firing&status=firing', admin, undefined, 200],
      ['GET', '/api/v1/deliveries?destination=oncall&destination=oncall', admin, undefined, 200],
      ['POST', '/-/reload?a=1&a=1', admin, undefined, 200],
    ];
    for (const [method, path, headers, body, status] of same) {
      const r = await http(method, `${gw.url}${path}`, { headers, body });
      assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
      assert.ok(!r.body.warnings?.length, `${method} ${path}: ${r.text}`);
    }
    // Different values on ingest: a 4xx would lose the page (most senders never retry one), so the first value is
    // used and the answer says so.
    const ingest = await http('POST', `${gw.url}/ingest/app?destination=oncall&destination=elsewhere`, { headers: app, body: { title: 'repeat differ', dedup_key: 'repeat-differ' } });
    assert.equal(ingest.status, 202, ingest.text);
    assert.deepEqual(ingest.body.warnings, ['query parameter "destination" was given more than once with different values: the first one was used']);
    const wrongFirst = await http('POST', `${gw.url}/ingest/app?token=wrong-token-0123456789&token=${APP_TOKEN}`, { body: { title: 'x' } });
    assert.equal(wrongFirst.status, 401, 'only the first token is tried');
    // Different values on the management API: a 400 naming the parameter, never its values.
    const differ: [string, string, Record<string, string>, unknown, string][] = [
      ['GET', '/api/v1/alerts?limit=1&limit=2', admin, undefined, 'limit'],
      ['GET', '/api/v1/deliveries?cursor=1&cursor=2', admin, undefined, 'cursor'],
      ['GET', '/api/v1/alerts/abc?x=1&x=2', admin, undefined, 'x'],
      ['POST', '/api/v1/deliveries/retry?destination=a&destination=b', admin, {}, 'destination'],
      ['GET', '/api/v1/sources?a=1&a=2', admin, undefined, 'a'],
      ['POST', '/-/reload?a=1&a=2', admin, undefined, 'a'],
    ];
    for (const [method, path, headers, body, name] of differ) {
      const r = await http(method, `${gw.url}${path}`, { headers, body });
      assert.equal(r.status, 400, `${method} ${path}: ${r.text}`);
      assert.equal(r.body.error.code, 'invalid_query');
      assert.equal(r.body.error.message, `query parameter "${name}" is given more than once with different values; give it once`);
      assert.ok(!r.text.includes(APP_TOKEN) && !r.text.includes(VERSUS_TOKEN));
    }
  });

  test('a malformed % escape in the path is a 400 in tocsin\'s error shape, without echoing the path', async () => {
    for (const path of ['/api/v1/alerts/%ED%A0%80', '/ingest/%E0%A4%A', '/ingest/app%FF']) {
      const r = await http('POST', `${gw.url}${path}?token=${APP_TOKEN}`, { body: { title: 'x' } });
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.deepEqual(r.body, { error: { code: 'bad_request', message: 'the path is not valid: a % escape that does not decode to UTF-8' } });
    }
  });

  test('a body nested thousands of levels deep is a 400 naming the limit and the path (JSON, NDJSON, text/plain); nothing is stored', async () => {
    const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    const alert = (title: string, levels: number) => `{"title":"${title}","dedup_key":"${title}","metadata":${deep(levels)}}`;
    const post = (raw: string, contentType: string) => http('POST', `${gw.url}/ingest/app`, { token: APP_TOKEN, raw, headers: { 'content-type': contentType } });

    const cases: [string, string, RegExp][] = [
      [alert('deep-json', 3000), 'application/json', /^metadata\.a\.a\.a/],
      [`[${alert('deep-array', 3000)}]`, 'application/json', /^\[0\]\.metadata\.a\.a/],
      [`${alert('ndjson-ok', 1)}\n${alert('deep-ndjson', 3000)}\n`, 'application/x-ndjson', /^\[1\]\.metadata\.a\.a/],
      [alert('deep-plain', 3000), 'text/plain; charset=UTF-8', /^metadata\.a\.a/],
      [`{"title":"deep-arrays","metadata":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`, 'application/json', /^metadata\.a\[0\]\[0\]/],
    ];
    for (const [raw, contentType, path] of cases) {
      const r = await post(raw, contentType);
      assert.equal(r.status, 400, `${contentType}: ${r.text.slice(0, 300)}`);
      assert.equal(r.body.error.code, 'invalid_body');
      const problem = r.body.error.details.problems[0];
      assert.match(problem.field, path);
      assert.equal(problem.message, 'nested more than 64 levels deep (the most tocsin accepts); flatten it');
      assert.ok(r.text.length < 2000, 'the answer does not echo the body');
    }
    // A large body (an Alertmanager source takes 32 MiB) is refused before it is parsed: parsing 4 million levels
    // held the event loop for seconds.
    const t0 = Date.now();
    const huge = await http('POST', `${gw.url}/ingest/am`, {
      token: AM_TOKEN,
      raw: `{"version":"4","status":"firing","alerts":[{"labels":{"alertname":"x"},"annotations":{"a":${'['.repeat(4_000_000)}${']'.repeat(4_000_000)}}}]}`,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(huge.status, 400, huge.text.slice(0, 300));
    assert.match(huge.body.error.details.problems[0].field, /^\(body, character \d+\)$/);
    assert.ok(Date.now() - t0 < 1500, `answered after ${Date.now() - t0} ms`);

    // 60 levels of metadata is fine.
    const ok = await post(alert('sixty-deep', 60), 'application/json');
    assert.equal(ok.status, 202, ok.text);

    const stored = await http('GET', `${gw.url}/api/v1/alerts?source=app&limit=500`, { token: ADMIN_TOKEN });
    const titles = new Set(stored.body.alerts.map((a: { title: string }) => a.title));
    assert.ok(titles.has('sixty-deep'));
    for (const t of ['deep-json', 'deep-array', 'ndjson-ok', 'deep-ndjson', 'deep-plain', 'deep-arrays']) assert.ok(!titles.has(t), `${t} was stored`);
  });

  test('none of it was logged as an error of tocsin', () => {
    const errors = gw.output.filter((l) => /"level":(50|60)/.test(l));
    assert.deepEqual(errors, []);
  });
});

describe('hostile HTTP: slow unauthenticated bodies cannot exhaust file descriptors', () => {
  let emu: Emulator;
  let gw: TocsinProcess;

  before(async () => {
    emu = await Emulator.start();
    const dir = tempDir();
    const port = await freePort();
    // The default request_timeout (30 s): what frees the descriptors here is closing refused bodies, not the timeout.
    gw = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port)), { port });
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  test('340 slow bodies without a token against a limit of 350 descriptors: a new sender is served again within seconds', async () => {
    // As the hostile test found it: a process limit a few hundred connections can reach (systemd's default is 1,024).
    execFileSync('prlimit', ['--pid', String(gw.proc.pid), '--nofile=350:350']);
    const port = Number(new URL(gw.url).port);
    const started = Date.now();
    const attack = Array.from({ length: 340 }, (_, i) =>
      rawRequest(port, head(i % 2 ? '/ingest/app' : '/-/reload', { 'Content-Length': '100000' }), { everyMs: 300 }),
    );
    // While they are open every descriptor is taken, and a new connection is refused; until then, keep trying.
    const seen: (number | string)[] = [];
    let servedAt: number | undefined;
    for (let i = 0; servedAt === undefined && Date.now() - started < 8000; i++) {
      const r = await freshPost(`${gw.url}/ingest/app`, APP_TOKEN, { title: `new sender ${i}`, dedup_key: `fd-${i}` });
      seen.push(r);
      if (r === 202) servedAt = Date.now() - started;
      else await new Promise((res) => setTimeout(res, 200));
    }
    assert.ok(servedAt !== undefined && servedAt < 5000, `a new sender was not served within 5 s: ${seen.join(', ')}`);
    for (let i = 0; i < 5; i++) assert.equal(await freshPost(`${gw.url}/ingest/app`, APP_TOKEN, { title: `after ${i}`, dedup_key: `after-${i}` }), 202);
    const outcomes = await Promise.all(attack);
    assert.ok(outcomes.every((o) => o.closedMs < 5000), `slowest closed after ${Math.max(...outcomes.map((o) => o.closedMs))} ms`);
    assert.ok(openFds(gw.proc.pid!) < 100, `${openFds(gw.proc.pid!)} descriptors still open`);
  });
});
