import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { extractManifestSubset } from './manifest-subset.ts';
import { subsetOf } from './manifest.ts';

const testdata = (name: string) => new URL(`./testdata/${name}`, import.meta.url);

test('real v9 manifest: streaming gives exactly the in-memory subset', async () => {
  const run = JSON.parse(readFileSync(testdata('opendatahub-1.5-run_results.json'), 'utf8'));
  const ids = new Set<string>(run.results.map((r: { unique_id: string }) => r.unique_id));
  const streamed = await extractManifestSubset(createReadStream(testdata('opendatahub-1.5-manifest.json')), ids);
  assert.deepEqual(streamed, subsetOf(JSON.parse(readFileSync(testdata('opendatahub-1.5-manifest.json'), 'utf8')), ids));
  // The 10 tested nodes plus the one model they test; no SQL, no columns.
  assert.equal(Object.keys(streamed.nodes).length, 11);
  assert.equal(streamed.nodes['model.transform.gppd_power_plants_list']!.name, 'gppd_power_plants_list');
  assert.ok(!JSON.stringify(streamed).includes('compiled_code'));
});

test('keys that are not node fields are skipped even when they hold nested data; "__proto__" stays data', async () => {
  const doc = {
    metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json', project_name: 'p' },
    macros: { 'macro.x': { nodes: { a: 1 } } },
    nodes: {
      'test.p.t.0123456789': { name: 't', resource_type: 'test', columns: { c: { meta: { owner: 'no' } } }, meta: { owner: 'yes', __proto__: { polluted: true } }, depends_on: { nodes: ['model.p.m'] } },
      'model.p.m': { name: 'm', resource_type: 'model', raw_code: 'select 1', meta: { owner: 'model-owner' } },
      'model.p.unrelated': { name: 'u', resource_type: 'model' },
    },
    child_map: { 'model.p.m': ['test.p.t.0123456789'] },
  };
  const text = JSON.stringify(doc).replace('"polluted"', '"polluted"'); // JSON.stringify drops __proto__; write it by hand below
  const withProto = text.replace('"meta":{"owner":"yes"}', '"meta":{"owner":"yes","__proto__":{"polluted":true}}');
  const s = await extractManifestSubset(Readable.from([withProto]), new Set(['test.p.t.0123456789']));
  assert.deepEqual(Object.keys(s.nodes).sort(), ['model.p.m', 'test.p.t.0123456789']);
  assert.equal(s.nodes['model.p.m']!.meta!.owner, 'model-owner');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(s.metadata.project_name, 'p');
});

const refusals: [string, string, RegExp][] = [
  ['invalid JSON', '{"nodes": {', /./],
  ['an array', '[1, 2]', /not a dbt manifest/],
  ['a run_results.json', JSON.stringify({ metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v6.json' }, results: [] }), /run-results/],
  ['an empty file', '', /not valid JSON|empty/],
];
for (const [name, text, message] of refusals) {
  test(`refuses ${name}`, async () => {
    await assert.rejects(extractManifestSubset(Readable.from(text ? [text] : []), new Set()), message);
  });
}

/**
 * A synthetic manifest the size of a large project's (≈80 MB: 40,000 nodes with SQL and columns), written to a temp
 * directory. The subset for 1,000 failing tests must come out right, with memory far below the file size.
 */
test('a large manifest streams in bounded memory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-manifest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'manifest.json');
  const t0 = performance.now();
  const sql = `select o.id, o.customer_id, o.amount from {{ ref('stg_orders') }} o where o.amount is not null -- ${'x'.repeat(600)}`;
  const out = createWriteStream(path);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('{"metadata":{"dbt_schema_version":"https://schemas.getdbt.com/dbt/manifest/v12.json","project_name":"big"},"nodes":{');
  const models = 10_000;
  for (let i = 0; i < 40_000; i++) {
    const isModel = i < models;
    const uid = isModel ? `model.big.m${i}` : `test.big.not_null_m${i % models}_id.${String(i).padStart(10, '0')}`;
    const node = {
      name: isModel ? `m${i}` : `not_null_m${i % models}_id`,
      resource_type: isModel ? 'model' : 'test',
      package_name: 'big',
      unique_id: uid,
      raw_code: sql,
      compiled_code: sql,
      columns: { id: { name: 'id', description: 'The id. '.repeat(20), meta: {}, tags: [] } },
      config: { enabled: true, severity: 'ERROR', meta: isModel ? { owner: `team${i % 7}` } : {}, tags: [] },
      meta: {},
      tags: [],
      depends_on: { macros: ['macro.dbt.test_not_null'], nodes: isModel ? [] : [`model.big.m${i % models}`] },
      ...(isModel ? {} : { attached_node: `model.big.m${i % models}` }),
    };
    await write(`${i ? ',' : ''}${JSON.stringify(uid)}:${JSON.stringify(node)}`);
  }
  await write('},"sources":{},"groups":{},"parent_map":{},"child_map":{}}');
  out.end();
  await once(out, 'finish');
  const size = statSync(path).size;
  t.diagnostic(`generated in ${(performance.now() - t0).toFixed(0)} ms`);

  const wanted = new Set(Array.from({ length: 1000 }, (_, k) => `test.big.not_null_m${(models + k * 30) % models}_id.${String(models + k * 30).padStart(10, '0')}`));
  // Live memory is what matters, not garbage V8 has not collected yet: force a collection at every tenth of the file.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  let peakLive = 0;
  let lastBytes = 0;
  let nextSample = 0;
  const started = performance.now();
  const subset = await extractManifestSubset(createReadStream(path), wanted, {
    onProgress: (bytes) => {
      lastBytes = bytes;
      if (bytes < nextSample) return;
      nextSample += size / 10;
      gc();
      peakLive = Math.max(peakLive, process.memoryUsage().heapUsed - heapBefore);
    },
  });
  const ms = performance.now() - started;
  t.diagnostic(`extracted in ${ms.toFixed(0)} ms`);

  assert.equal(lastBytes, size);
  const tests = Object.values(subset.nodes).filter((n) => n.resource_type === 'test');
  assert.equal(tests.length, 1000);
  const first = subset.nodes[[...wanted][0]!]!;
  assert.equal(first.attached_node, 'model.big.m0');
  assert.deepEqual(subset.nodes['model.big.m0'], { unique_id: 'model.big.m0', name: 'm0', resource_type: 'model', package_name: 'big', config: { meta: { owner: 'team0' } } });
  const subsetBytes = JSON.stringify(subset).length;
  assert.ok(subsetBytes < 1_000_000, `subset is ${subsetBytes} bytes`);
  // What the reader holds at any time: the subset, the parents of possible tests, one chunk of tokens; not the file.
  assert.ok(peakLive < size / 4, `live heap grew by ${peakLive} bytes for a ${size}-byte file`);
  t.diagnostic(
    `manifest ${(size / 1e6).toFixed(1)} MB streamed in ${(ms / 1000).toFixed(2)} s including 10 forced GCs; ` +
      `peak live heap growth ${(peakLive / 1e6).toFixed(1)} MB; process peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; subset ${(subsetBytes / 1e3).toFixed(0)} kB`,
  );
});
