/**
 * What the web UI added to the management API, against a running gateway and the emulator: the overview, destinations
 * with secrets masked and their connection test, the route tree and route test, alert filters, live events — and the
 * UI's own files (shell, assets, headers, size).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { ADMIN_TOKEN, ROOT, http } from '../harness.ts';
import { startFixture, type Fixture } from './ui-fixture.ts';

let fx: Fixture;
before(async () => {
  fx = await startFixture();
});
after(() => fx?.close());

const get = (path: string) => http('GET', `${fx.tocsin.url}/api/v1${path}`, { token: ADMIN_TOKEN });
const post = (path: string, body: unknown = {}) => http('POST', `${fx.tocsin.url}/api/v1${path}`, { token: ADMIN_TOKEN, body });

test('GET /api/v1/overview: alerts by state and source, per destination 24 hourly slots, backlog, dead letters, its sender; storage', async (t) => {
  const r = await get('/overview');
  assert.equal(r.status, 200, r.text);
  const o = r.body;
  t.diagnostic(r.text.slice(0, 600));
  assert.deepEqual(o.alerts.by_state, { firing: 3, acknowledged: 0, resolved: 1 });
  assert.deepEqual(o.alerts.by_source, { app: { firing: 3, acknowledged: 0, resolved: 1 } });
  assert.deepEqual(o.storage, { kind: 'sqlite', ready: true });
  const byName = Object.fromEntries(o.destinations.map((d: { name: string }) => [d.name, d]));
  assert.deepEqual(Object.keys(byName).sort(), ['broken', 'incidents', 'oncall']);
  for (const d of Object.values(byName) as any[]) {
    assert.equal(d.last_24h.length, 24);
    assert.ok(Date.parse(d.last_24h.at(-1).hour) <= Date.now() && Date.parse(d.last_24h.at(-1).hour) > Date.now() - 3_600_000, 'the last slot is this hour');
    assert.equal(d.sender.held_here, true, JSON.stringify(d.sender));
    assert.equal(d.sender.holder, o.instance);
  }
  const sum = (d: any, k: string) => d.last_24h.reduce((n: number, s: any) => n + s[k], 0);
  // oncall took 4 alerts; the export alert resolved at once, which sends firing and resolved, or nothing at all when the
  // resolve came before its first send ("resolved before delivery").
  assert.ok(sum(byName.oncall, 'delivered') >= 3, JSON.stringify(byName.oncall));
  assert.equal(sum(byName.oncall, 'failed'), 0);
  assert.equal(sum(byName.broken, 'delivered'), 0);
  assert.equal(sum(byName.broken, 'failed'), 1, JSON.stringify(byName.broken));
  assert.equal(byName.broken.dead, 1);
  assert.equal(byName.broken.rate_limit.per_minute, 120);
  assert.equal(byName.broken.rate_limit.used_last_minute, 1, 'one request, refused');
  assert.ok(byName.oncall.rate_limit.used_last_minute >= 3);
  assert.equal(byName.broken.backlog, 0);
  assert.equal((await http('GET', `${fx.tocsin.url}/api/v1/overview`)).status, 401, 'the admin token is needed');
});

test('GET /api/v1/destinations: each with its settings, secrets masked', async () => {
  const r = await get('/destinations');
  const oncall = r.body.destinations.find((d: { name: string }) => d.name === 'oncall');
  assert.equal(oncall.config.token, '•••••• (set)');
  assert.equal(oncall.config.alert_source_config_id, fx.emu.source.id);
  assert.equal(oncall.config.base_url, fx.emu.url);
  assert.deepEqual(oncall.config.metadata, { environment: 'test' });
  for (const [name, secret] of Object.entries(fx.secrets)) assert.ok(!r.text.includes(secret), name);
});

test('POST /api/v1/destinations/:name/test: the outcome of a resolved test event; a refused one with its hint', async () => {
  const ok = await post('/destinations/oncall/test');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.ok, true);
  assert.equal(ok.body.key, 'tocsin-connection-test-oncall');
  assert.deepEqual(ok.body.steps.map((s: any) => [s.status, s.outcome, s.status_code]), [['resolved', 'delivered', 202]]);
  assert.match(ok.body.steps[0].request_id, /\S/);
  assert.match(ok.body.summary, /works/);
  const sent = (await fx.emu.requests()).filter((q) => JSON.stringify(q).includes('tocsin-connection-test-oncall'));
  assert.equal(sent.length, 1);

  const fired = await post('/destinations/oncall/test', { fire: true });
  assert.deepEqual(fired.body.steps.map((s: any) => [s.status, s.outcome]), [['firing', 'delivered'], ['resolved', 'delivered']]);

  const bad = await post('/destinations/broken/test');
  assert.equal(bad.status, 200);
  assert.equal(bad.body.ok, false);
  assert.equal(bad.body.steps[0].outcome, 'failed');
  assert.equal(bad.body.steps[0].status_code, 401);
  assert.match(bad.body.steps[0].hint, /alert source token is wrong/);
  for (const [name, secret] of Object.entries(fx.secrets)) assert.ok(!bad.text.includes(secret), name);

  assert.equal((await post('/destinations/nope/test')).status, 404);
  assert.equal((await post('/destinations/oncall/test', { fire: 'yes' })).status, 400);
});

test('GET /api/v1/routes and POST /api/v1/routes/test: the routes in order, and where labels would go', async () => {
  const tree = await get('/routes');
  assert.equal(tree.body.default_route, 4);
  assert.deepEqual(tree.body.routes.map((r: any) => [r.index, r.to, r.catchAll]), [[1, ['oncall', 'broken', 'incidents'], false], [2, ['oncall', 'broken'], false], [3, ['oncall'], false], [4, ['oncall'], true]]);
  assert.deepEqual(tree.body.routes[0].match, [{ label: 'team', op: '=', value: 'payments' }, { label: 'severity', op: '=', value: 'critical' }]);

  const payments = await post('/routes/test', { labels: { team: 'payments', severity: 'critical' }, source: 'app' });
  assert.deepEqual([payments.body.matched_routes, payments.body.destinations, payments.body.routed, payments.body.warnings], [[1], ['oncall', 'broken', 'incidents'], true, []]);
  const crit = await post('/routes/test', { labels: { severity: 'critical', team: ['storage', 'web'] } });
  assert.deepEqual(crit.body.matched_routes, [3]);
  assert.match(crit.body.warnings[0], /no source given/);
  const unknown = await post('/routes/test', { labels: {}, source: 'nope' });
  assert.match(unknown.body.warnings.join(), /source "nope" is not configured/);
  const p1 = await post('/routes/test', { labels: { severity: 'P1' } });
  assert.equal(p1.status, 400);
  assert.match(p1.text, /routes see tocsin's severity/);
  assert.equal((await post('/routes/test', { labels: { team: 3 } })).status, 400);
});

test('GET /api/v1/alerts filters by severity, label and text, and pages through what matches', async () => {
  const titles = async (q: string) => (await get(`/alerts?${q}`)).body.alerts.map((a: { title: string }) => a.title);
  assert.deepEqual(await titles('label=team%3Dpayments'), ['Orders API 5xx above 2%']);
  const orders = (await get('/alerts?label=team%3Dpayments')).body.alerts[0];
  const detail = (await get(`/alerts/${orders.id}`)).body;
  assert.deepEqual(detail.incidents.map((i: any) => [i.destination, i.episode, /^INC-\d+$/.test(i.reference)]), [['incidents', 1, true]], 'the incident declared for it');
  assert.deepEqual((await get(`/alerts/${(await get('/alerts?severity=warning')).body.alerts[0].id}`)).body.incidents, []);
  assert.deepEqual(await titles('severity=warning'), ['Disk 91% full on db-2']);
  assert.deepEqual(await titles('q=NIGHTLY'), ['Nightly export late']);
  assert.deepEqual(await titles('q=export&status=firing'), []);
  assert.deepEqual(await titles('label=team%3Dnobody'), []);
  assert.equal((await get('/alerts?label=team')).status, 400);

  await fx.ingest({ title: 'Payments queue backed up', dedup_key: 'payq', severity: 'error', metadata: { team: 'payments' } });
  const first = await get('/alerts?label=team%3Dpayments&limit=1');
  assert.deepEqual(first.body.alerts.map((a: any) => a.title), ['Payments queue backed up']);
  assert.ok(first.body.next_cursor);
  const second = await get(`/alerts?label=team%3Dpayments&limit=1&cursor=${first.body.next_cursor}`);
  assert.deepEqual(second.body.alerts.map((a: any) => a.title), ['Orders API 5xx above 2%']);
  const third = await get(`/alerts?label=team%3Dpayments&limit=1&cursor=${second.body.next_cursor}`);
  assert.deepEqual([third.body.alerts, third.body.next_cursor], [[], null]);
});

test('GET /api/v1/events: a change event when any change reaches the database', async () => {
  const res = await request(`${fx.tocsin.url}/api/v1/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/event-stream/);
  let text = '';
  const seen = (re: RegExp, ms: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${re} in ${ms} ms: ${text}`)), ms);
      const check = () => {
        if (re.test(text)) {
          clearTimeout(timer);
          res.body.off('data', onData);
          resolve();
        }
      };
      const onData = (c: Buffer) => {
        text += c.toString();
        check();
      };
      res.body.on('data', onData);
      check();
    });
  try {
    await seen(/event: hello/, 5_000);
    await new Promise((r) => setTimeout(r, 1_500)); // the first poll takes the marks as they are
    assert.doesNotMatch(text, /event: change/, 'nothing changed yet');
    const id = (await get('/alerts?status=firing')).body.alerts[0].id;
    await post(`/alerts/${id}/acknowledge`);
    await seen(/event: change\ndata: \{"marks":"[\d.]+"\}/, 5_000);
  } finally {
    res.body.destroy();
  }
  assert.equal((await http('GET', `${fx.tocsin.url}/api/v1/events`)).status, 401);
});

test('the UI: / leads to /ui/, every page path is the shell with a strict CSP, assets are cached by ETag, JS+CSS under 200 KB', async (t) => {
  const root = await http('GET', `${fx.tocsin.url}/`);
  assert.equal(root.status, 302);
  assert.equal(root.headers.location, '/ui/');
  for (const path of ['/ui/', '/ui/alerts', '/ui/alerts/01ABC', '/ui/deliveries?status=dead']) {
    const r = await http('GET', `${fx.tocsin.url}${path}`);
    assert.equal(r.status, 200, path);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assert.match(String(r.headers['content-security-policy']), /default-src 'none'; script-src 'self'; style-src 'self'/);
    assert.match(r.text, /<script type="module" src="\/ui\/assets\/app.js">/);
  }
  const js = await http('GET', `${fx.tocsin.url}/ui/assets/app.js`);
  assert.match(String(js.headers['content-type']), /^text\/javascript/);
  assert.equal(js.headers['x-content-type-options'], 'nosniff');
  const again = await http('GET', `${fx.tocsin.url}/ui/assets/app.js`, { headers: { 'if-none-match': String(js.headers.etag) } });
  assert.equal(again.status, 304);
  assert.equal((await http('GET', `${fx.tocsin.url}/ui/assets/nope.js`)).status, 404);
  assert.equal((await http('GET', `${fx.tocsin.url}/ui/assets/..%2Froutes.ts`)).status, 404);

  // Every page loads the same files: the shell, its stylesheet and the modules (all of them, imported at start).
  const dir = join(ROOT, 'src/ui/static');
  const files = readdirSync(dir).filter((f) => /\.(js|css)$/.test(f));
  let bytes = 0;
  for (const f of files) {
    const r = await http('GET', `${fx.tocsin.url}/ui/assets/${f}`);
    assert.equal(r.status, 200, f);
    assert.equal(Buffer.byteLength(r.text), statSync(join(dir, f)).size, f);
    bytes += Buffer.byteLength(r.text);
  }
  t.diagnostic(`first load: ${files.length} JS+CSS files, ${(bytes / 1024).toFixed(1)} KB uncompressed`);
  assert.ok(bytes < 200 * 1024, `${bytes} bytes`);
});

test('a stop does not wait for open live-update streams: they are ended at once', async () => {
  const res = await request(`${fx.tocsin.url}/api/v1/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const ended = new Promise<void>((resolve) => {
    res.body.on('end', () => resolve());
    res.body.on('error', () => resolve());
    res.body.resume();
  });
  const t0 = Date.now();
  await fx.tocsin.kill('SIGTERM');
  await ended;
  const ms = Date.now() - t0;
  // The shutdown timeout is 10 s: a stream holding the stop would take that long.
  assert.ok(ms < 3_000, `stopped in ${ms} ms`);
  assert.equal(fx.tocsin.proc.exitCode, 0);
});
