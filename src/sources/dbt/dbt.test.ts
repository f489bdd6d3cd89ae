import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AlertEvent } from '../../domain/alert.ts';
import { dbtSource } from './dbt.ts';
import type { DbtOptions } from './event.ts';
import { labelsOf } from '../../domain/labels.ts';
import { subsetOf } from './manifest.ts';

const real = (name: string): any => JSON.parse(readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8'));
const options = (raw: Record<string, unknown> = {}): DbtOptions => dbtSource.options.parse(raw);
const parse = (body: unknown, opts: DbtOptions = options()) => dbtSource.parse(body, { source: 'dbt', options: opts, query: {} });
const events = (body: unknown, opts?: DbtOptions): AlertEvent[] => {
  const r = parse(body, opts);
  assert.ok(r.ok, JSON.stringify(r));
  return r.value.events;
};
const byStatus = (es: AlertEvent[]) => ({
  firing: es.filter((e) => e.status === 'firing').length,
  resolved: es.filter((e) => e.status === 'resolved').length,
});

// ---- real artifacts ---------------------------------------------------------------------------------------------

const odhRun = real('opendatahub-1.5-run_results.json');
const odhManifest = real('opendatahub-1.5-manifest.json');
const sprintRun = real('sprint-1.10-run_results.json');
const odhFailing = 'test.transform.not_null_gppd_power_plants_list_year_of_capacity_data.1a3165a676';

const samples: [string, unknown, { firing: number; resolved: number }][] = [
  ['v4 run_results alone (bare upload)', odhRun, { firing: 3, resolved: 7 }],
  ['v4 run_results + v9 manifest (envelope)', { run_results: odhRun, manifest: odhManifest }, { firing: 3, resolved: 7 }],
  ['v4 run_results + the subset tocsin dbt sends', { run_results: odhRun, manifest: subsetOf(odhManifest, odhRun.results.map((r: any) => r.unique_id)) }, { firing: 3, resolved: 7 }],
  // 48 skipped nodes change nothing: 2 fire (fail, error), 77 passing tests + 6 successful models/seeds resolve.
  ['v6 run_results of a dbt build', sprintRun, { firing: 2, resolved: 83 }],
];
for (const [name, body, counts] of samples) {
  test(`real: ${name}`, () => {
    const es = events(body);
    assert.deepEqual(byStatus(es), counts);
    assert.ok(es.every((e) => e.title.startsWith('dbt ') && !e.dedupKey.includes('invocation')));
  });
}

test('real: a failing test with its manifest, in full', () => {
  const e = events({ run_results: odhRun, manifest: odhManifest }, options({ link_template: 'https://docs.example.com/#!/{resource_type}/{unique_id}' })).find((x) => x.dedupKey === odhFailing);
  assert.deepEqual(e, {
    source: 'dbt',
    dedupKey: odhFailing,
    status: 'firing',
    title: 'dbt test failed: not_null_gppd_power_plants_list_year_of_capacity_data (gppd_power_plants_list)',
    volatile: ['invocation_id', 'execution_time', 'age_seconds'],
    description: 'Got 20906 results, configured to fail if != 0\nModel: gppd_power_plants_list\nColumn: year_of_capacity_data\nFailing rows: 20906',
    severity: 'error',
    sourceUrl: `https://docs.example.com/#!/test/${odhFailing}`,
    aliases: [`transform/${odhFailing}`],
    metadata: {
      unique_id: odhFailing,
      resource_type: 'test',
      status: 'fail',
      package: 'transform',
      dbt_severity: 'error',
      model: 'gppd_power_plants_list',
      column: 'year_of_capacity_data',
      failures: 20906,
      message: 'Got 20906 results, configured to fail if != 0',
      dbt_version: '1.5.6',
      invocation_id: '1bcad47d-2fc1-4e64-87f2-d7c97b8fd7da',
      execution_time: 6.687817573547363,
    },
  });
});

test('real: without a manifest the name still comes from the unique_id', () => {
  const e = events(odhRun).find((x) => x.dedupKey === odhFailing)!;
  assert.equal(e.title, 'dbt test failed: not_null_gppd_power_plants_list_year_of_capacity_data');
});

test('real: a test erroring at runtime fires as an error', () => {
  const e = events(sprintRun).find((x) => x.dedupKey === 'test.sprint.revenue_consistency_weekly')!;
  assert.equal(e.status, 'firing');
  assert.equal(e.title, 'dbt test errored: revenue_consistency_weekly');
  assert.equal(e.severity, 'error');
  assert.match(e.description!, /Parser Error/);
});

test('identity is the unique_id and never depends on the invocation', () => {
  const again = structuredClone(odhRun);
  again.metadata.invocation_id = 'another-run';
  again.results.forEach((r: any) => (r.execution_time = 99));
  const a = events(odhRun, options({ project: 'transform' }));
  const b = events(again, options({ project: 'transform' }));
  assert.deepEqual(a.map((e) => e.dedupKey), b.map((e) => e.dedupKey));
  assert.deepEqual(a.map((e) => e.dedupKey), odhRun.results.map((r: any) => r.unique_id));
});

// The same result, whatever came along with it: the key is the unique_id; every old `<project>/` form is an alias.
const withProject = (m: any, name: string) => ({ ...m, metadata: { ...m.metadata, project_name: name } });
const uploads: [string, unknown, Record<string, unknown>, string[]][] = [
  ['bare run_results', odhRun, {}, ['transform']],
  ['with a manifest that has no project_name (dbt 1.5)', { run_results: odhRun, manifest: odhManifest }, {}, ['transform']],
  ['with a manifest naming the project (dbt ≥ 1.6)', { run_results: odhRun, manifest: withProject(odhManifest, 'transform') }, {}, ['transform']],
  ['with the subset tocsin dbt sends', { run_results: odhRun, manifest: subsetOf(withProject(odhManifest, 'transform'), [odhFailing]) }, {}, ['transform']],
  ['with options.project', odhRun, { project: 'energy' }, ['energy', 'transform']],
  ['with options.project and a manifest naming another project', { run_results: odhRun, manifest: withProject(odhManifest, 'dwh') }, { project: 'energy' }, ['energy', 'dwh', 'transform']],
];
for (const [name, body, opts, projects] of uploads) {
  test(`identity: ${name} → the unique_id; old keys as aliases`, () => {
    const e = events(body, options(opts)).find((x) => x.metadata.unique_id === odhFailing)!;
    assert.equal(e.dedupKey, odhFailing);
    assert.deepEqual(e.aliases, projects.map((p) => `${p}/${odhFailing}`));
  });
}

test('identity: the alias from the package in the unique_id needs no manifest (dbt 1.10 run_results)', () => {
  const e = events(sprintRun).find((x) => x.dedupKey === 'test.sprint.revenue_consistency_weekly')!;
  assert.deepEqual(e.aliases, ['sprint/test.sprint.revenue_consistency_weekly']);
});

// ---- labels: what routes see (labelsOf = metadata by dotted path + parser labels) -------------------------------------

test('labels: resource_type and package come from the unique_id alone', () => {
  const e = events(sprintRun).find((x) => x.dedupKey === 'test.sprint.revenue_consistency_weekly')!;
  const l = labelsOf(e);
  assert.deepEqual([l.resource_type, l.package], [['test'], ['sprint']]);
  assert.equal(labelsOf(events(handRun([result('source.shop.raw.payments', 'error')]))[0]!).package?.[0], 'shop');
});

// ---- hand-written edge cases (shapes from dbt's published schemas; values invented) -------------------------------

/** Hand-written manifest v12 subset: project name, owners in meta, config.meta and a group, tags, a warn severity. */
const handManifest = {
  metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json', dbt_version: '1.9.4', project_name: 'shop' },
  nodes: {
    'model.shop.orders': { unique_id: 'model.shop.orders', name: 'orders', resource_type: 'model', package_name: 'shop', meta: { owner: 'orders-team@example.com', team: 'orders' }, group: 'finance', tags: ['daily'] },
    'model.shop.stg_orders': { unique_id: 'model.shop.stg_orders', name: 'stg_orders', resource_type: 'model', package_name: 'shop', description: 'Orders, cleaned.', config: { meta: { owners: ['ana', { email: 'bo@example.com' }] } } },
    'test.shop.not_null_orders_id.4f1a2b3c4d': {
      unique_id: 'test.shop.not_null_orders_id.4f1a2b3c4d', name: 'not_null_orders_id', resource_type: 'test', package_name: 'shop',
      description: 'Every order has an id.', tags: ['critical-path'], config: { severity: 'WARN', tags: ['critical-path', 'pii'], meta: { alerting: { channel: '#orders-data' } } },
      depends_on: { nodes: ['model.shop.orders'] }, attached_node: 'model.shop.orders', column_name: 'id',
      test_metadata: { name: 'not_null', kwargs: { column_name: 'id', model: "{{ get_where_subquery(ref('orders')) }}" } },
    },
    'test.shop.legacy_unique_orders_id.9a8b7c6d5e': {
      unique_id: 'test.shop.legacy_unique_orders_id.9a8b7c6d5e', name: 'legacy_unique_orders_id', resource_type: 'test', package_name: 'shop',
      depends_on: { nodes: ['model.shop.stg_orders'] }, test_metadata: { name: 'unique', kwargs: { model: "{{ get_where_subquery(ref('stg_orders')) }}" } },
    },
  },
  sources: {
    'source.shop.raw.payments': { unique_id: 'source.shop.raw.payments', name: 'payments', source_name: 'raw', resource_type: 'source', package_name: 'shop', source_meta: { owner: 'ingest@example.com' } },
  },
  groups: { 'group.shop.finance': { name: 'finance', owner: { name: 'Finance', email: 'finance@example.com' } } },
};

const result = (unique_id: string, status: string, extra: Record<string, unknown> = {}) => ({
  status, unique_id, message: null, failures: null, execution_time: 0.1, thread_id: 'Thread-1', timing: [], adapter_response: {}, ...extra,
});
/** Hand-written run-results v5 (dbt 1.7 shape). */
const handRun = (results: unknown[], version = 'v5') => ({
  metadata: { dbt_schema_version: `https://schemas.getdbt.com/dbt/run-results/${version}.json`, dbt_version: '1.7.4', invocation_id: 'inv-1', env: { ENVIRONMENT: 'prod' } },
  results,
  elapsed_time: 1,
});
/** Hand-written sources.json v3. */
const handSources = (results: unknown[]) => ({
  metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/sources/v3.json', dbt_version: '1.8.2', invocation_id: 'inv-2', env: {} },
  results,
  elapsed_time: 1,
});
const freshness = (unique_id: string, status: string, extra: Record<string, unknown> = {}) => ({
  unique_id, status, max_loaded_at: '2024-06-12T23:34:44+00:00', snapshotted_at: '2024-06-13T07:14:05+00:00', max_loaded_at_time_ago_in_s: 27560.3,
  criteria: { warn_after: { count: 1, period: 'hour' }, error_after: { count: 24, period: 'hour' }, filter: null }, adapter_response: {}, timing: [], thread_id: 'Thread-1', execution_time: 1.1, ...extra,
});

// status → what happens, for each resource kind (the decision table of DESIGN: failing fires, passing resolves).
const decisions: [string, string, string, 'firing' | 'resolved' | 'nothing', string | undefined][] = [
  ['test fail', 'test.shop.t.0123456789', 'fail', 'firing', 'error'],
  ['test error', 'test.shop.t.0123456789', 'error', 'firing', 'error'],
  ['test warn', 'test.shop.t.0123456789', 'warn', 'firing', 'warning'],
  ['test pass', 'test.shop.t.0123456789', 'pass', 'resolved', undefined],
  ['test skipped', 'test.shop.t.0123456789', 'skipped', 'nothing', undefined],
  ['Fusion capitalised Warn', 'test.shop.t.0123456789', 'Warn', 'firing', 'warning'],
  ['Fusion capitalised Pass', 'test.shop.t.0123456789', 'Pass', 'resolved', undefined],
  ['model error', 'model.shop.m', 'error', 'firing', 'error'],
  ['model success', 'model.shop.m', 'success', 'resolved', undefined],
  ['model skipped', 'model.shop.m', 'skipped', 'nothing', undefined],
  ['model no-op', 'model.shop.m', 'no-op', 'nothing', undefined],
  ['model partial success', 'model.shop.m', 'partial success', 'firing', 'warning'],
  ['seed error', 'seed.shop.s', 'error', 'firing', 'error'],
  ['snapshot success', 'snapshot.shop.s', 'success', 'resolved', undefined],
  ['unit test fail', 'unit_test.shop.orders.test_totals', 'fail', 'firing', 'error'],
  ['an unknown future status', 'model.shop.m', 'deferred', 'nothing', undefined],
];
for (const [name, uid, status, expected, severity] of decisions) {
  test(`decision: ${name} → ${expected}`, () => {
    const es = events(handRun([result(uid, status)]));
    if (expected === 'nothing') return assert.equal(es.length, 0);
    assert.equal(es.length, 1);
    assert.equal(es[0]!.status, expected);
    assert.equal(es[0]!.severity, severity);
  });
}

const freshnessCases: [string, string, 'firing' | 'resolved', string | undefined, string][] = [
  ['error', 'error', 'firing', 'error', 'dbt source freshness error: raw.payments'],
  ['warn', 'warn', 'firing', 'warning', 'dbt source freshness warning: raw.payments'],
  ['runtime error', 'runtime error', 'firing', 'error', 'dbt source freshness check errored: raw.payments'],
  ['pass', 'pass', 'resolved', undefined, 'dbt source freshness passed: raw.payments'],
];
for (const [name, status, expected, severity, title] of freshnessCases) {
  test(`freshness ${name} (hand-written sources.json)`, () => {
    const es = events(handSources([freshness('source.shop.raw.payments', status)]));
    assert.equal(es[0]!.status, expected);
    assert.equal(es[0]!.severity, severity);
    assert.equal(es[0]!.title, title);
    assert.equal(es[0]!.metadata.max_loaded_at, '2024-06-12T23:34:44+00:00');
    assert.match(es[0]!.description!, /Freshness: warn after 1 hour, error after 24 hour/);
  });
}

test('freshness runtime error keeps the error text', () => {
  const es = events(handSources([{ unique_id: 'source.shop.raw.payments', status: 'runtime error', error: 'Database Error: relation does not exist' }]));
  assert.equal(es[0]!.metadata.message, 'Database Error: relation does not exist');
});

test('manifest facts: project, owners from the tested model and its group, tags, dbt severity, description', () => {
  const es = events({ run_results: handRun([result('test.shop.not_null_orders_id.4f1a2b3c4d', 'warn', { failures: 3, message: 'Got 3 results, configured to warn if != 0' })]), manifest: handManifest });
  const e = es[0]!;
  assert.equal(e.dedupKey, 'test.shop.not_null_orders_id.4f1a2b3c4d');
  assert.deepEqual(e.aliases, ['shop/test.shop.not_null_orders_id.4f1a2b3c4d']);
  assert.equal(e.title, 'dbt test warned: not_null_orders_id (orders)');
  assert.equal(e.severity, 'warning');
  assert.deepEqual(e.metadata.owners, ['orders-team@example.com', 'finance@example.com']);
  assert.deepEqual(e.metadata.tags, ['critical-path', 'pii']);
  assert.equal(e.metadata.dbt_severity, 'warn');
  assert.equal(e.metadata.environment, 'prod');
  assert.equal(e.metadata.project, 'shop');
  assert.equal(e.metadata.test_description, 'Every order has an id.');
  assert.equal(e.metadata.failures, 3);
});

test('manifest facts: pre-1.5 tests (no attached_node) find their model by the ref in kwargs; owners from config.meta', () => {
  const e = events({ run_results: handRun([result('test.shop.legacy_unique_orders_id.9a8b7c6d5e', 'fail')]), manifest: handManifest })[0]!;
  assert.equal(e.metadata.model, 'stg_orders');
  assert.deepEqual(e.metadata.owners, ['ana', 'bo@example.com']);
});

test('source owners come from source_meta; options.project wins over the manifest as metadata', () => {
  const e = events({ sources: handSources([freshness('source.shop.raw.payments', 'error')]), manifest: handManifest }, options({ project: 'analytics', environment: 'staging' }))[0]!;
  assert.equal(e.dedupKey, 'source.shop.raw.payments');
  assert.equal(e.metadata.project, 'analytics');
  assert.deepEqual(e.aliases, ['analytics/source.shop.raw.payments', 'shop/source.shop.raw.payments']);
  assert.deepEqual(e.metadata.owners, ['ingest@example.com']);
  assert.equal(e.metadata.environment, 'staging');
});

test('run_results and sources in one upload; a node in both is one alert', () => {
  const es = events({ run_results: handRun([result('model.shop.orders', 'error'), result('source.shop.raw.payments', 'pass')]), sources: handSources([freshness('source.shop.raw.payments', 'error')]) });
  assert.deepEqual(es.map((e) => [e.dedupKey, e.status]), [['model.shop.orders', 'firing'], ['source.shop.raw.payments', 'firing']]);
});

test('a model error: title, null failures left out', () => {
  const e = events(handRun([result('model.shop.stg_orders', 'error', { message: 'Database Error in model stg_orders' })]))[0]!;
  assert.equal(e.title, 'dbt model errored: stg_orders');
  assert.equal('failures' in e.metadata, false);
});

test('options.severity overrides the severity per dbt status', () => {
  const opts = options({ severity: { fail: 'critical', warn: 'info' } });
  const es = events(handRun([result('test.shop.a.0123456789', 'fail'), result('test.shop.b.0123456789', 'warn'), result('model.shop.m', 'error')]), opts);
  assert.deepEqual(es.map((e) => e.severity), ['critical', 'info', 'error']);
});

test('link_template placeholders are filled and encoded; a missing {project} means no link', () => {
  const opts = options({ link_template: 'https://dbt.example.com/{project}/{resource_type}/{name}?id={unique_id}' });
  const [withProject] = events({ run_results: handRun([result('model.shop.orders', 'error')]), manifest: handManifest }, opts);
  assert.equal(withProject!.sourceUrl, 'https://dbt.example.com/shop/model/orders?id=model.shop.orders');
  const [without] = events(handRun([result('model.shop.orders', 'error')]), opts);
  assert.equal(without!.sourceUrl, undefined);
});

test('labels: a test sees its own tags and owners, and its model\'s meta under its own, by dotted path', () => {
  const e = events({ run_results: handRun([result('test.shop.not_null_orders_id.4f1a2b3c4d', 'warn')]), manifest: handManifest })[0]!;
  assert.deepEqual(e.metadata.meta, { owner: 'orders-team@example.com', team: 'orders', alerting: { channel: '#orders-data' } });
  const l = labelsOf(e);
  assert.deepEqual(
    { resource_type: l.resource_type, package: l.package, tags: l.tags, owners: l.owners, team: l['meta.team'], channel: l['meta.alerting.channel'] },
    { resource_type: ['test'], package: ['shop'], tags: ['critical-path', 'pii'], owners: ['orders-team@example.com', 'finance@example.com'], team: ['orders'], channel: ['#orders-data'] },
  );
});

test('labels: a node\'s own meta wins over its model\'s; config.meta over meta; a source\'s source_meta under its meta', () => {
  const m = structuredClone(handManifest) as any;
  m.nodes['test.shop.not_null_orders_id.4f1a2b3c4d'].meta = { team: 'data-quality' };
  m.nodes['model.shop.stg_orders'].meta = { team: 'old' };
  m.nodes['model.shop.stg_orders'].config.meta.team = 'ingest';
  m.sources['source.shop.raw.payments'].meta = { owner: 'table-owner@example.com', tier: 1 };
  const es = events({
    run_results: handRun([result('test.shop.not_null_orders_id.4f1a2b3c4d', 'fail'), result('model.shop.stg_orders', 'error')]),
    sources: handSources([freshness('source.shop.raw.payments', 'error')]),
    manifest: m,
  });
  const team = (uid: string) => labelsOf(es.find((e) => e.dedupKey === uid)!)['meta.team'];
  assert.deepEqual(team('test.shop.not_null_orders_id.4f1a2b3c4d'), ['data-quality']);
  assert.deepEqual(team('model.shop.stg_orders'), ['ingest']);
  const source = labelsOf(es.find((e) => e.dedupKey === 'source.shop.raw.payments')!);
  assert.deepEqual([source['meta.owner'], source['meta.tier'], source.resource_type], [['table-owner@example.com'], ['1'], ['source']]);
});

test('labels: no meta key when the node has none (nothing empty is sent)', () => {
  const e = events({ run_results: odhRun, manifest: odhManifest }).find((x) => x.dedupKey === odhFailing)!;
  assert.equal('meta' in e.metadata, false);
});

// ---- refusals ------------------------------------------------------------------------------------------------------

const bad: [string, unknown, string, RegExp][] = [
  ['not an object', [odhRun], '(body)', /run_results\.json/],
  ['an unrelated object', { hello: 'world' }, '(body)', /not a dbt upload/],
  ['a manifest alone', odhManifest, 'metadata.dbt_schema_version', /manifest alone/],
  ['a catalog', { metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/catalog/v1.json' }, nodes: {} }, 'metadata.dbt_schema_version', /catalog/],
  ['run_results without results', { metadata: odhRun.metadata }, 'results', /required/],
  ['results not an array', { run_results: { metadata: odhRun.metadata, results: {} } }, 'run_results.results', /array/],
  ['a result without unique_id', { run_results: handRun([{ status: 'fail' }]) }, 'run_results.results[0].unique_id', /required/],
  ['a result without status', handRun([result('model.shop.m', 'x'), { unique_id: 'model.shop.n' }]), 'results[1].status', /required/],
  ['sources.json passed as run_results', { run_results: handSources([]) }, 'run_results.metadata.dbt_schema_version', /expected a run_results\.json/],
  ['a manifest that is not a manifest', { run_results: odhRun, manifest: odhRun }, 'manifest.metadata.dbt_schema_version', /expected a manifest/],
  ['a manifest that is not an object', { run_results: odhRun, manifest: 'target/manifest.json' }, 'manifest', /object/],
];
for (const [name, body, field, message] of bad) {
  test(`rejects ${name}`, () => {
    const r = parse(body);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.problems[0]!.field, field);
      assert.match(r.problems[0]!.message, message);
    }
  });
}

test('more than 1000 alerts in one upload is refused; skipped nodes do not count', () => {
  const many = (n: number, status: string) => Array.from({ length: n }, (_, i) => result(`test.shop.t${i}.0123456789`, status));
  assert.equal(parse(handRun([...many(1000, 'pass'), ...many(5000, 'skipped').map((r, i) => ({ ...r, unique_id: `model.shop.m${i}` }))])).ok, true);
  const r = parse(handRun(many(1001, 'fail')));
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.problems[0]!.message, /1001 alerts; at most 1000/);
});

const badOptions: [string, Record<string, unknown>, string, RegExp][] = [
  ['an unknown link placeholder', { link_template: 'https://x.example/{model}' }, 'link_template', /unknown placeholder\(s\) \{model\}/],
  ['a relative link template', { link_template: '/docs/{unique_id}' }, 'link_template', /absolute/],
  ['a severity for a passing status', { severity: { pass: 'info' } }, 'severity', /pass/],
  ['an unknown severity', { severity: { fail: 'high' } }, 'severity.fail', /critical/],
  ['an unknown key', { projekt: 'x' }, '', /projekt/],
];
for (const [name, raw, path, message] of badOptions) {
  test(`options refuse ${name}`, () => {
    const r = dbtSource.options.safeParse(raw);
    assert.equal(r.success, false);
    if (!r.success) {
      const i = r.error.issues[0]!;
      assert.equal(i.path.join('.'), path);
      assert.match(i.code === 'unrecognized_keys' ? i.keys.join() : i.message, message);
    }
  });
}
