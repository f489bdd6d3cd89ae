/**
 * Counterexamples the parser fuzzing (parsers.fuzz.test.ts) found, kept as plain regression tests: each one made a
 * parser return something the ingest path cannot store, throw (a 500), or echo a megabyte back in a 400.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nested } from '../../test/fuzz/arbitraries.ts';
import { assertOutcome } from '../../test/fuzz/invariants.ts';
import type { ParseOutcome } from '../domain/errors.ts';
import { sourceTypes } from './registry.ts';
import { severityFromWord } from './severity-words.ts';
import type { ParsedBatch } from './types.ts';
import { asText, compileExpression, isTruthy } from './webhook/expression.ts';

const parse = async (type: string, body: unknown, options: unknown = {}): Promise<ParseOutcome<ParsedBatch>> => {
  const st = sourceTypes[type]!;
  const out = await st.parse(body, { source: 's', options: st.options.parse(options), query: {} });
  assertOutcome(out, 's');
  return out;
};
const events = (out: ParseOutcome<ParsedBatch>) => {
  assert.ok(out.ok, JSON.stringify(!out.ok && out.problems));
  return out.value.events;
};

test('a severity word that names an Object.prototype member is no severity (was: the Object function, then a 503)', async () => {
  for (const word of ['constructor', '__proto__', 'Constructor ', 'hasOwnProperty', 'toString']) {
    assert.equal(severityFromWord(word), undefined, word);
    assert.equal(severityFromWord(word, { critical: 'critical' }), undefined, word);
    const [e] = events(await parse('alerts', { title: 't', severity: word }));
    assert.equal(e!.severity, undefined);
    assert.equal(e!.metadata.raw_severity, word);
  }
  assert.equal(severityFromWord('sev1', { sev1: 'critical' }), 'critical');
});

test('a Grafana alertname such as "toString" is a name, not a function in the title', async () => {
  const body = { version: '1', groupKey: '{}:{}', alerts: [{ status: 'firing', labels: { alertname: 'toString', rulename: 'disk' } }] };
  const [e] = events(await parse('grafana', body));
  assert.doesNotMatch(e!.title, /native code|function/);
  assert.match(e!.title, /^toString/);
});

test('alerts: a "__proto__" key in metadata stays data (was: it replaced the metadata object\'s prototype)', async () => {
  const [e] = events(await parse('alerts', JSON.parse('{"title":"t","metadata":{"__proto__":{"x":1},"a":2},"__proto__":{"y":3}}')));
  assert.equal(Object.getPrototypeOf(e!.metadata), Object.prototype);
  assert.deepEqual(JSON.parse(JSON.stringify(e!.metadata)), JSON.parse('{"__proto__":{"x":1},"a":2}'));
});

test('a 400 quotes at most a few dozen characters of what was sent (was: the whole megabyte)', async () => {
  const big = 'v'.repeat(1_000_000);
  const refusals = [
    await parse('alertmanager', { version: big, alerts: [{ status: 'firing', labels: {} }] }),
    await parse('alertmanager', { version: '4', alerts: [{ status: big, labels: {} }] }),
    await parse('dbt', { metadata: { dbt_schema_version: big }, results: [] }),
    await parse('versus', { Type: big, TopicArn: 'arn' }),
  ];
  for (const out of refusals) {
    assert.ok(!out.ok);
    for (const p of out.problems) assert.ok(p.message.length < 400, `${p.field}: ${p.message.length} characters`);
  }
});

test('values nested 10,000 deep are read or refused, never thrown (was: RangeError, a 500)', async () => {
  const deep = nested(10_000, 'array');
  const versus = await parse('versus', { alerts: [{ labels: { alertname: 'x', a: deep } }] });
  assert.ok(!versus.ok);
  assert.match(versus.problems[0]!.message, /nested too deeply/);
  const legacy = await parse('alertmanager', { state: 'alerting', ruleId: 1, evalMatches: [deep] });
  assert.equal(events(legacy).length, 1);

  const expr = compileExpression('x');
  assert.ok(expr.ok);
  assert.deepEqual(asText(expr.value, nested(50_000, 'array', 'txt')), { ok: true, value: 'txt' });
  assert.equal(isTruthy(nested(50_000, 'array', 0)), false);
  assert.equal(isTruthy(nested(50_000, 'array', 'y')), true);
});

test('isTruthy keeps jsonata truthiness (property against the recursive definition)', () => {
  const reference = (v: unknown): boolean => (Array.isArray(v) ? v.some(reference) : v && typeof v === 'object' ? Object.keys(v).length > 0 : Boolean(v));
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => isTruthy(v) === reference(v)), { numRuns: 300 });
});

test('the registry knows no Object.prototype member as a source type (was: `type: constructor` threw in the config loader)', () => {
  for (const name of [...Object.getOwnPropertyNames(Object.prototype), '__proto__']) assert.equal(sourceTypes[name], undefined, name);
  assert.deepEqual(Object.keys(sourceTypes).sort(), ['alertmanager', 'alerts', 'dbt', 'grafana', 'logs', 'versus', 'webhook']);
});

test('a lone surrogate in a dbt unique_id or a CloudWatch alarm name is no URIError (was: a 500 from encodeURIComponent)', async () => {
  const run = { metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v6.json' }, results: [{ unique_id: 'model.p.\ud800', status: 'fail' }] };
  const [dbt] = events(await parse('dbt', run, { link_template: 'https://docs.example.com/#!/{resource_type}/{unique_id}' }));
  assert.equal(dbt!.sourceUrl, 'https://docs.example.com/#!/model/model.p.%EF%BF%BD');
  const alarm = { AlarmName: 'disk \udc00', NewStateValue: 'ALARM', AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:disk' };
  const [cw] = events(await parse('versus', alarm));
  assert.match(cw!.sourceUrl!, /alarm\/disk%20%EF%BF%BD$/);
});

test('a CloudWatch alarm with a blank name is read as any other JSON (was: no title, and a TypeError with a region)', async () => {
  const [e] = events(await parse('versus', { AlarmName: '  ', NewStateValue: 'ALARM', AlarmArn: 'arn:aws:cloudwatch:eu-west-1:1:alarm:x' }));
  assert.equal(typeof e!.title, 'string');
  assert.ok(!('alarm_name' in e!.metadata) || typeof e!.metadata.alarm_name === 'string');
});

test('String() is never called on a value nested thousands deep (versus version, dbt freshness criteria)', async () => {
  const deep = nested(5_000, 'array');
  events(await parse('versus', { version: deep, alerts: [{ status: 'firing', labels: { alertname: 'x' } }] }));
  const fresh = { metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/sources/v3.json' }, results: [{ unique_id: 'source.p.s.t', status: 'warn', criteria: { warn_after: { count: deep, period: deep } } }] };
  events(await parse('dbt', fresh));
});

test('an SNS notification whose Subject and Message say nothing has no undefined title in its metadata', async () => {
  const [e] = events(await parse('versus', { Type: 'Notification', MessageId: 'm', TopicArn: 'arn:aws:sns:eu-west-1:1:t', Subject: [], Message: '\r\n' }));
  assert.ok(!('title' in e!.metadata), JSON.stringify(e!.metadata));
});
