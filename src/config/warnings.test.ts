import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { labelsOf } from '../domain/labels.ts';
import { dbtSource } from '../sources/dbt/dbt.ts';
import { buildConfig } from './load.ts';

const T = 'x'.repeat(20);
const dest = { type: 'incident_io_alert_source', alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token: T };
const warningsOf = (doc: Record<string, unknown>) => buildConfig({ destinations: { oncall: dest }, ...doc }, {}, '/tmp').warnings.map((w) => `${w.path}: ${w.message}`);
const source = (type: string, extra: Record<string, unknown> = {}) => ({ type, token: T, ...extra });

const cases: [string, Record<string, unknown>, RegExp[]][] = [
  ['no routes key: everything goes everywhere', { sources: { app: source('alerts') } }, []],
  ['routes end with a default route', { sources: { app: source('alerts') }, routes: [{ match: { team: 'a' }, to: 'oncall' }, { to: 'oncall' }] }, []],
  ['routes without a default route', { sources: { app: source('alerts') }, routes: [{ match: { team: 'a' }, to: 'oncall' }] }, [/^routes: no default route/]],
  ['no destinations at all', { sources: { app: source('alerts') }, destinations: {} }, [/^destinations: none configured/]],
  ['a source named tocsin', { sources: { tocsin: source('alerts') } }, [/^sources\.tocsin: the name "tocsin" shares incident\.io keys with tocsin's own alerts/]],
  [
    'a metadata. prefix',
    { sources: { app: source('alerts') }, routes: [{ match: { 'metadata.team': 'storage' }, to: 'oncall' }, { to: 'oncall' }] },
    [/^routes\[0\]\.match\.metadata\.team: labels are metadata keys by name, without a "metadata\." prefix: write team/],
  ],
  [
    'dbt alone: a key no dbt alert carries',
    { sources: { dbt: source('dbt') }, routes: [{ match: { team: 'storage' }, to: 'oncall' }, { to: 'oncall' }] },
    [/^routes\[0\]\.match\.team: no configured source produces the label "team": dbt alerts carry unique_id, .*meta\.<key>, source and severity; did you mean meta\.team\?$/],
  ],
  [
    'dbt alone: its own keys, meta.* by dotted path, source and severity',
    { sources: { dbt: source('dbt') }, routes: [{ match: { owners: 'x', 'meta.team': 'y', package: 'shop', 'criteria.warn_after.count': '1', source: 'dbt', severity: 'error' }, to: 'oncall' }, { to: 'oncall' }] },
    [],
  ],
  [
    'dbt beside an open source type: any key may come',
    { sources: { dbt: source('dbt'), prometheus: source('alertmanager') }, routes: [{ match: { team: 'storage' }, to: 'oncall' }, { to: 'oncall' }] },
    [],
  ],
];
for (const [name, doc, expected] of cases) {
  test(`warnings: ${name}`, () => {
    const w = warningsOf(doc);
    assert.equal(w.length, expected.length, w.join('\n'));
    expected.forEach((re, i) => assert.match(w[i]!, re));
  });
}

test('dbt labelKeys cover every label real dbt artifacts produce (keep dbt.ts in step with event.ts)', () => {
  const real = (name: string) => JSON.parse(readFileSync(new URL(`../sources/dbt/testdata/${name}`, import.meta.url), 'utf8'));
  const freshness = {
    metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/sources/v3.json', dbt_version: '1.8.2', invocation_id: 'i', env: { ENVIRONMENT: 'prod' } },
    elapsed_time: 1,
    results: [{ unique_id: 'source.shop.raw.payments', status: 'error', max_loaded_at: '2024-06-12T23:34:44+00:00', snapshotted_at: '2024-06-13T07:14:05+00:00', max_loaded_at_time_ago_in_s: 99000, criteria: { warn_after: { count: 1, period: 'hour' }, error_after: { count: 24, period: 'hour' }, filter: null }, adapter_response: {}, timing: [], thread_id: 'Thread-1', execution_time: 1 }],
  };
  const uploads = [{ run_results: real('opendatahub-1.5-run_results.json'), manifest: real('opendatahub-1.5-manifest.json') }, real('sprint-1.10-run_results.json'), freshness];
  const keys = dbtSource.labelKeys!;
  const seen = new Set<string>();
  for (const body of uploads) {
    const r = dbtSource.parse(body, { source: 'dbt', options: dbtSource.options.parse({}), query: {} });
    assert.ok(r.ok, JSON.stringify(r));
    for (const e of r.value.events) for (const k of Object.keys(labelsOf(e))) seen.add(k);
  }
  const uncovered = [...seen].filter((k) => !['source', 'severity'].includes(k) && !keys.some((p) => (p.endsWith('.*') ? k.startsWith(p.slice(0, -1)) : p === k)));
  assert.deepEqual(uncovered, []);
  assert.ok(seen.has('criteria.warn_after.count') && seen.has('package') && seen.has('resource_type'), [...seen].join());
});
