/**
 * `type: logs` sources (issue 10) end to end: the real binary, the incident.io emulator, log bodies as Fluent Bit,
 * Vector and Logflare send them. Events are matched, never stored; a rule's alert fires once and is updated at most
 * once per window however many lines match; group_by splits; a threshold holds below its count; quiet resolves;
 * gzip; nothing from a log line reaches tocsin's own output.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { FORMATS, vectorNdjson } from '../../src/sources/logs/fixtures.ts';
import { ADMIN_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const TOKEN = 'logs-source-token-0123456789';
const SECRET = 'SECRET-MARKER-7f3a9c-do-not-log';

const rules = [
  { name: 'burst', query: 'm.kind:burst', threshold: { window: '1s' }, resolve_after_quiet: '3s', sample: 5 },
  { name: 'by-region', query: 'm.kind:grouped', group_by: ['m.region'], title: 'Errors in {{m.region}}', threshold: { window: '1s' }, resolve_after_quiet: '1m' },
  { name: 'five', query: 'm.kind:five', threshold: { count: 5, window: '30s' }, resolve_after_quiet: '1m' },
  { name: 'payments', query: 'm.level:error m.service:payments "payment failed"', threshold: { window: '1s' }, resolve_after_quiet: '1m' },
  { name: 'secrets', query: 'm.kind:secret', threshold: { window: '1s' }, resolve_after_quiet: '1m' },
];

describe('logs sources end to end (gateway + emulator)', () => {
  let emu: Emulator;
  let gw: TocsinProcess;

  const post = async (body: string | Buffer, headers: Record<string, string> = {}) => {
    const res = await request(`${gw.url}/ingest/logs`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson', ...headers }, body });
    const text = await res.body.text();
    return { status: res.statusCode, body: JSON.parse(text) as any, text };
  };
  const ndjson = (events: object[]) => events.map((e) => JSON.stringify(e)).join('\n');
  const sentFor = async (key: string) => (await emu.requests()).filter((r) => r.body?.deduplication_key === `logs:${key}`);
  const alert = (key: string) => emu.alerts().then((all) => all.find((a) => a.deduplication_key === `logs:${key}`));

  before(async () => {
    emu = await Emulator.start();
    const dir = tempDir();
    const port = await freePort();
    const config = gatewayConfig(emu, dir, port, { sources: { logs: { type: 'logs', token: TOKEN, rules } }, delivery: { poll_interval: '100ms' } });
    gw = await startTocsin(writeConfig(dir, config), { port });
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  test('a burst of 1,000 matching lines: one alert fired, then at most one update per window, then resolved after the quiet time', async () => {
    const started = Date.now();
    const lines = Array.from({ length: 1000 }, (_, i) => ({ message: `request ${i} failed`, kind: 'burst', n: i }));
    for (let i = 0; i < 1000; i += 250) {
      const r = await post(ndjson(lines.slice(i, i + 250)));
      assert.equal(r.status, 202, r.text);
      assert.equal(r.body.matched, 250);
    }
    const firing = await waitFor('the burst alert firing', () => alert('burst').then((a) => a?.status === 'firing' && a));
    assert.equal(firing.title, 'burst: matching log events');
    // Let one window pass, so the update of the rest of the burst goes out.
    await waitFor('the update', async () => (await sentFor('burst')).length >= 2, 5000);
    const sent = await sentFor('burst');
    const windows = Math.ceil((Date.now() - started) / 1000);
    assert.ok(sent.length <= 1 + windows, `${sent.length} events for a burst over ${windows} window(s)`);
    const matched = sent.reduce((n, r) => n + r.body.metadata.matched, 0);
    assert.equal(matched, 1000, 'every match counted once across the events');
    const update = sent.at(-1)!.body;
    assert.equal(update.metadata.data.length, 5, 'sample: 5');
    assert.equal(update.metadata.rule, 'burst');
    // No match for 3 s: resolved by the alert's time to live.
    const resolved = await waitFor('resolved after quiet', () => alert('burst').then((a) => a?.status === 'resolved' && a), 8000, 100);
    assert.ok(resolved);
    assert.ok((await sentFor('burst')).length <= 4);
  });

  test('group_by makes one alert per value, titled from the event', async () => {
    const r = await post(ndjson([
      { message: 'x', kind: 'grouped', region: 'eu' },
      { message: 'x', kind: 'grouped', region: 'us' },
      { message: 'x', kind: 'grouped', region: 'eu' },
    ]));
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.body.results.map((x: any) => x.dedup_key).sort(), ['by-region:eu', 'by-region:us']);
    const eu = await waitFor('eu', () => alert('by-region:eu'));
    const us = await waitFor('us', () => alert('by-region:us'));
    assert.equal(eu.title, 'Errors in eu');
    assert.equal(us.title, 'Errors in us');
  });

  test('a threshold holds below its count and fires when met', async () => {
    const four = await post(ndjson(Array.from({ length: 4 }, () => ({ message: 'x', kind: 'five' }))));
    assert.equal(four.status, 202);
    assert.deepEqual(four.body.results, []);
    const fifth = await post(ndjson([{ message: 'x', kind: 'five' }]));
    assert.deepEqual(fifth.body.results.map((x: any) => x.result), ['created']);
    await waitFor('five firing', () => alert('five').then((a) => a?.status === 'firing'));
  });

  for (const f of FORMATS) {
    test(`body format: ${f.name}`, async () => {
      const r = await post(f.body, { 'content-type': f.contentType });
      assert.equal(r.status, 202, r.text);
      assert.equal(r.body.events, 2);
      assert.equal(r.body.matched, 1);
    });
  }

  test('Fluent Bit json_lines before 3.0 (application/json) and text/plain are read too', async () => {
    assert.equal((await post(FORMATS[1]!.body, { 'content-type': 'application/json' })).body.matched, 1);
    assert.equal((await post(FORMATS[1]!.body, { 'content-type': 'text/plain' })).body.matched, 1);
  });

  test('gzip: inflated; a zip bomb is a 413; corrupt gzip a 400; items that are not objects are skipped with a warning', async () => {
    const r = await post(gzipSync(vectorNdjson), { 'content-encoding': 'gzip' });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.matched, 1);
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, '{"message":"x"}\n'));
    const b = await post(bomb, { 'content-encoding': 'gzip' });
    assert.equal(b.status, 413, b.text);
    // Chunked (no Content-Length): the body as sent is held to body_limit, inflated to its own cap.
    const chunked = await post(Readable.from([gzipSync(vectorNdjson)]) as unknown as Buffer, { 'content-encoding': 'gzip' });
    assert.equal(chunked.status, 202, chunked.text);
    assert.equal(chunked.body.matched, 1);
    const chunkedBomb = await post(Readable.from([bomb]) as unknown as Buffer, { 'content-encoding': 'gzip' });
    assert.equal(chunkedBomb.status, 413, chunkedBomb.text);
    const c = await post(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    assert.equal(c.status, 400, c.text);
    const skipped = await post('[1, "two", {"message": "ok"}]', { 'content-type': 'application/json' });
    assert.equal(skipped.status, 202);
    assert.match(skipped.body.warnings[0], /2 item\(s\)/);
    const bad = await post('{"message": "a"}\n{"message": nope}');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /line 2/);
  });

  test('nothing from a log line reaches tocsin\'s own output', async () => {
    const lines = [
      { message: `login failed password=${SECRET}`, kind: 'secret', token: SECRET },
      { message: `unmatched ${SECRET}`, kind: 'other' },
    ];
    assert.equal((await post(ndjson(lines))).status, 202);
    assert.equal((await post(`${ndjson(lines)}\n{"broken": ${SECRET}`)).status, 400);
    assert.equal((await post(Buffer.from(SECRET), { 'content-encoding': 'gzip' })).status, 400);
    await waitFor('the secret rule firing', () => alert('secrets'));
    // Let its update window pass (the timer's path logs on failure), then look at everything tocsin wrote.
    await new Promise((r) => setTimeout(r, 1200));
    assert.ok(gw.output.length > 0);
    assert.ok(!gw.output.some((l) => l.includes(SECRET)), 'the marker is in tocsin\'s output');
  });

  test('GET /api/v1/rules: every rule with its matches, open alerts and last match; admin only', async () => {
    const r = await http('GET', `${gw.url}/api/v1/rules`, { token: ADMIN_TOKEN });
    assert.equal(r.status, 200, r.text);
    const byName = Object.fromEntries(r.body.rules.map((x: any) => [x.name, x]));
    assert.deepEqual(Object.keys(byName).sort(), rules.map((x) => x.name).sort());
    assert.equal(byName.burst.matched_total, 1000);
    assert.equal(byName.burst.alerts_active, 0);
    assert.equal(byName['by-region'].alerts_active, 2);
    assert.equal(byName['by-region'].source, 'logs');
    assert.equal(byName.five.matched_total, 5);
    assert.equal(byName.secrets.matched_total, 1, 'the body refused at its last line (400) counted nothing');
    assert.match(byName.five.last_match_at, /^\d{4}-\d\d-\d\dT/);
    assert.equal(byName.payments.query, rules[3]!.query);
    assert.equal((await http('GET', `${gw.url}/api/v1/rules`)).status, 401);
  });
});
