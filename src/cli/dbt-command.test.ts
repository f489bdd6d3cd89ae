import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dbtSource } from '../sources/dbt/dbt.ts';
import { uploadDbtRun, type DbtIo } from './dbt-command.ts';
import { CliError, EXIT } from './exit.ts';

const testdata = (name: string) => new URL(`../sources/dbt/testdata/${name}`, import.meta.url);
const TOKEN = 'tok-3f9a-secret';

interface Seen {
  url: string;
  authorization: string | undefined;
  body: any;
  bytes: number;
}

/**
 * A stand-in for the gateway's ingest endpoint that runs the real dbt parser on what it receives, so the test checks
 * that what the CLI uploads is what the parser accepts. The real gateway is exercised by test/e2e.
 */
async function fakeGateway(t: import('node:test').TestContext, answer?: (seen: Seen) => [number, unknown]) {
  const seen: Seen[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    const s: Seen = { url: req.url!, authorization: req.headers.authorization, body: JSON.parse(text), bytes: text.length };
    seen.push(s);
    let [status, body] = answer?.(s) ?? [0, undefined];
    if (!status) {
      const parsed = dbtSource.parse(s.body, { source: 'dbt', options: dbtSource.options.parse({}), query: {} });
      [status, body] = parsed.ok
        ? [202, { results: parsed.value.events.map((e, i) => ({ id: `a${i}`, dedup_key: e.dedupKey, result: e.status === 'firing' ? 'created' : 'unchanged' })) }]
        : [400, { error: { code: 'invalid_body', message: parsed.problems.map((p) => `${p.field}: ${p.message}`).join('; ') } }];
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function io(): DbtIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', isTTY: false, out: (s: string) => void (o.stdout += s), err: (s: string) => void (o.stderr += s) };
  return o;
}

const opts = (gateway: string, extra: Record<string, unknown> = {}) => ({ source: 'dbt', gateway, token: TOKEN, maxRequestBytes: 900_000, ...extra });

function tempTarget(t: import('node:test').TestContext, withManifest: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-dbt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(testdata('opendatahub-1.5-run_results.json'), join(dir, 'run_results.json'));
  if (withManifest) copyFileSync(testdata('opendatahub-1.5-manifest.json'), join(dir, 'manifest.json'));
  return dir;
}

test('uploads run_results with the manifest found next to it, as a slim subset, with the bearer token', async (t) => {
  const gw = await fakeGateway(t);
  const dir = tempTarget(t, true);
  const out = io();
  await uploadDbtRun(join(dir, 'run_results.json'), opts(gw.url), out);
  assert.equal(gw.seen.length, 1);
  const [req] = gw.seen;
  assert.equal(req!.url, '/ingest/dbt');
  assert.equal(req!.authorization, `Bearer ${TOKEN}`);
  assert.equal(req!.body.run_results.results.length, 10);
  assert.equal(Object.keys(req!.body.manifest.nodes).length, 11);
  assert.ok(!JSON.stringify(req!.body).includes('compiled_code') && !JSON.stringify(req!.body).includes('"timing"'));
  assert.match(out.stdout, /^created {3}test\.transform\.not_null_gppd_power_plants_list_year_of_capacity_data\.1a3165a676$/m);
  assert.match(out.stdout, /10 results → 10 alerts to source "dbt": 3 created, 0 updated, 0 resolved, 7 unchanged\n$/);
  assert.ok(!out.stdout.includes(TOKEN) && !out.stderr.includes(TOKEN));
});

test('without a manifest the upload says so', async (t) => {
  const gw = await fakeGateway(t);
  const out = io();
  await uploadDbtRun(join(tempTarget(t, false), 'run_results.json'), opts(gw.url, { source: 'dbt-prod' }), out);
  assert.equal(gw.seen[0]!.url, '/ingest/dbt-prod');
  assert.equal(gw.seen[0]!.body.manifest, undefined);
  assert.match(out.stdout, /no manifest/);
});

test('a large run is split into requests under the size limit, each with the nodes it needs', async (t) => {
  const gw = await fakeGateway(t);
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-dbt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const results = Array.from({ length: 1200 }, (_, i) => ({ unique_id: `test.p.t${i}.0123456789`, status: i % 100 ? 'pass' : 'fail', message: 'x'.repeat(200), compiled_code: 'select 1'.repeat(100) }));
  writeFileSync(join(dir, 'run_results.json'), JSON.stringify({ metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v6.json', invocation_id: 'i' }, results }));
  const out = io();
  await uploadDbtRun(join(dir, 'run_results.json'), opts(gw.url, { maxRequestBytes: 60_000 }), out);
  assert.ok(gw.seen.length >= 5, `${gw.seen.length} requests`);
  assert.ok(gw.seen.every((s) => s.bytes <= 60_000));
  assert.equal(gw.seen.reduce((n, s) => n + s.body.run_results.results.length, 0), 1200);
  assert.match(out.stdout, /1200 results → 1200 alerts.*12 created/);
});

const usage: [string, (dir: string) => [string, Record<string, unknown>], RegExp][] = [
  ['a missing file', (d) => [join(d, 'nope.json'), {}], /cannot read artifact .*no such file/],
  ['a file that is not JSON', (d) => (writeFileSync(join(d, 'r.json'), '{"metadata": '), [join(d, 'r.json'), {}]), /not valid JSON/],
  ['a manifest given as the artifact', (d) => [join(d, 'manifest.json'), {}], /not a dbt run_results\.json or sources\.json.*manifest\/v9/],
  ['a missing --manifest', (d) => [join(d, 'run_results.json'), { manifest: join(d, 'missing.json') }], /cannot read manifest .*no such file/],
  ['a --manifest that is not a manifest', (d) => [join(d, 'run_results.json'), { manifest: join(d, 'run_results.json') }], /not a dbt manifest/],
  ['a --sources that is not sources.json', (d) => [join(d, 'run_results.json'), { sources: join(d, 'run_results.json') }], /not a dbt sources\.json/],
  ['no token', (d) => [join(d, 'run_results.json'), { token: undefined }], /no source token/],
];
for (const [name, setup, message] of usage) {
  test(`usage error (exit 2): ${name}`, async (t) => {
    const gw = await fakeGateway(t);
    const dir = tempTarget(t, true);
    const [path, extra] = setup(dir);
    const saved = process.env.TOCSIN_SOURCE_TOKEN;
    delete process.env.TOCSIN_SOURCE_TOKEN;
    t.after(() => (saved === undefined ? undefined : (process.env.TOCSIN_SOURCE_TOKEN = saved)));
    await assert.rejects(uploadDbtRun(path, opts(gw.url, extra), io()), (e: unknown) => e instanceof CliError && e.code === EXIT.usage && message.test(e.message));
    assert.equal(gw.seen.length, 0);
  });
}

test('a gateway error is a failure (exit 1) carrying the gateway message, never the token', async (t) => {
  const gw = await fakeGateway(t, () => [401, { error: { code: 'unauthorized', message: 'missing or invalid bearer token for this source' } }]);
  await assert.rejects(
    uploadDbtRun(join(tempTarget(t, false), 'run_results.json'), opts(gw.url), io()),
    (e: unknown) => e instanceof CliError && e.code === EXIT.failure && /401: missing or invalid bearer token/.test(e.message) && !e.message.includes(TOKEN),
  );
});

test('an unreachable gateway is a failure (exit 1)', async (t) => {
  const gw = await fakeGateway(t);
  const dead = gw.url.replace(/:\d+$/, ':9'); // discard port: nothing listens
  await assert.rejects(uploadDbtRun(join(tempTarget(t, false), 'run_results.json'), opts(dead), io()), (e: unknown) => e instanceof CliError && e.code === EXIT.failure && /cannot reach the gateway/.test(e.message));
});

test('a progress bar on a TTY, on stderr only', async (t) => {
  const gw = await fakeGateway(t);
  const tty = io();
  tty.isTTY = true;
  await uploadDbtRun(join(tempTarget(t, true), 'run_results.json'), opts(gw.url), tty);
  assert.match(tty.stderr, /reading manifest \[#+\] 100% 0\.3\/0\.3 MB/);
  assert.ok(!tty.stdout.includes('reading manifest'));
});
