/**
 * Logs bodies read on worker threads (src/logs/pool/) end to end: a body of 16 KB or more goes to a worker, and what
 * comes back is applied with the same semantics as on the main thread — one alert fired in the request, counted
 * matches, samples, group_by, thresholds, a 400 that counts nothing, gzip — and the same rules give the same alerts
 * whether `workers:` is 1 or 0. A worker that dies is tested with a real thread in src/logs/pool/pool.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { CLI, Emulator, ROOT, freePort, gatewayConfig, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const TOKEN = 'logs-workers-token-0123456789';
const SECRET = 'SECRET-MARKER-41c2e8-do-not-log';

const rules = [
  { name: 'by-region', query: 'm.kind:grouped', group_by: ['m.region'], title: 'Errors in {{m.region}}', threshold: { window: '1s' }, resolve_after_quiet: '1m', sample: 3 },
  { name: 'fifty', query: 'm.kind:counted', threshold: { count: 50, window: '30s' }, resolve_after_quiet: '1m', sample: 2 },
  { name: 'never', query: 'm.kind:nothing-sends-this', resolve_after_quiet: '2m' },
];

/** Filler lines no rule matches, so the body is well past the 16 KB a worker reads from. */
const filler = (n: number) => Array.from({ length: n }, (_, i) => ({ message: `ordinary line ${i} ${'x'.repeat(60)}`, kind: 'filler' }));
const ndjson = (events: object[]) => events.map((e) => JSON.stringify(e)).join('\n');

for (const workers of [1, 0] as const) {
  describe(`logs bodies with workers: ${workers}`, () => {
    let emu: Emulator;
    let gw: TocsinProcess;
    const output: string[] = [];
    const post = async (body: string | Buffer, headers: Record<string, string> = {}) => {
      const res = await request(`${gw.url}/ingest/logs`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson', ...headers }, body });
      const text = await res.body.text();
      return { status: res.statusCode, body: JSON.parse(text) as any, text };
    };
    const alert = (key: string) => emu.alerts().then((all) => all.find((a) => a.deduplication_key === `logs:${key}`));
    const sentFor = async (key: string) => (await emu.requests()).filter((r) => r.body?.deduplication_key === `logs:${key}`);

    before(async () => {
      emu = await Emulator.start();
      const dir = tempDir();
      const port = await freePort();
      const config = gatewayConfig(emu, dir, port, { sources: { logs: { type: 'logs', token: TOKEN, workers, rules } }, delivery: { poll_interval: '100ms' } });
      gw = await startTocsin(writeConfig(dir, config), { port, output });
    });
    after(async () => {
      await gw?.kill();
      await emu?.close();
    });

    test('a large body: the alerts it fires are committed before the 202, grouped, titled and sampled from its events', async () => {
      const events = [...filler(300), ...['eu', 'us', 'eu', 'eu'].map((region, i) => ({ message: `failure ${i} ${SECRET}`, kind: 'grouped', region })), { message: 'not json' }];
      const text = `${ndjson(events)}\n42`;
      assert.ok(text.length > 16 * 1024);
      const r = await post(text);
      assert.equal(r.status, 202, r.text);
      assert.equal(r.body.events, 305);
      assert.equal(r.body.matched, 4);
      assert.equal(r.body.results.length, 2, 'eu and us fired in this request, eu first');
      assert.match(r.body.warnings.join(' '), /1 item\(s\)/);
      const eu = await waitFor('the eu alert', () => alert('by-region:eu'));
      assert.equal(eu?.title, 'Errors in eu');
      assert.equal(eu?.metadata.matched, 1, 'the fire carries the match that opened it; the rest go with the next update');
      assert.deepEqual(eu?.metadata.group, { 'm.region': 'eu' });
      assert.equal(eu?.metadata.data[0].message, `failure 0 ${SECRET}`);
      await waitFor('the update of eu', async () => (await sentFor('by-region:eu')).length >= 2, 5000);
      const update = (await sentFor('by-region:eu')).at(-1)!.body;
      assert.equal(update.metadata.matched, 2);
      assert.deepEqual(update.metadata.data.map((d: { message: string }) => d.message), [`failure 2 ${SECRET}`, `failure 3 ${SECRET}`]);
    });

    test('a threshold counts across large bodies, and fires in the request that meets it', async () => {
      const counted = (n: number) => Array.from({ length: n }, (_, i) => ({ message: `counted ${i}`, kind: 'counted' }));
      const first = await post(ndjson([...filler(300), ...counted(30)]));
      assert.equal(first.status, 202, first.text);
      assert.equal(first.body.results.length, 0, '30 of 50: held');
      const second = await post(gzipSync(ndjson([...filler(300), ...counted(30)])), { 'content-encoding': 'gzip' });
      assert.equal(second.status, 202, second.text);
      assert.equal(second.body.results.length, 1, 'the 50th match fires');
      const a = await waitFor('the threshold alert', () => alert('fifty'));
      assert.equal(a?.metadata.matched, 50);
      assert.equal(a?.metadata.data.length, 2);
    });

    test('a bad line late in a large body is a 400 naming the line, and nothing of the body is counted', async () => {
      const r = await post(`${ndjson([...filler(300), { message: 'x', kind: 'nothing-sends-this' }])}\n{"message": "${SECRET}`);
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /line 302/);
      assert.doesNotMatch(r.text, new RegExp(SECRET));
      assert.equal(await alert('never'), undefined);
    });

    test('nothing from a log line reaches tocsin output', () => {
      assert.doesNotMatch(output.join('\n'), new RegExp(SECRET));
    });
  });
}

test('check-config: workers out of range names the key', () => {
  const dir = tempDir();
  const path = writeConfig(dir, { listen: '127.0.0.1:0', storage: { sqlite: `${dir}/t.db` }, sources: { logs: { type: 'logs', token: TOKEN, workers: 99, rules: [] } } });
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'check-config', '--config', path], { cwd: ROOT, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /workers/);
  assert.match(r.stdout + r.stderr, /auto or a number of threads from 0/);
});
