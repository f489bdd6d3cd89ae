import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelsOf, parseLabelArgs } from './labels.ts';

test('labels: metadata flattened by dotted path, parser labels by name, tocsin source and severity win', () => {
  const labels = labelsOf({
    source: 'prom',
    severity: 'critical',
    metadata: { source: 'sender-says', severity: 'P1', labels: { team: 'storage' }, tags: ['a', 1, { x: 1 }], n: null, deep: { a: { b: { c: { d: { e: 'too deep' } } } } } },
    labels: { team: 'storage', alertname: 'DiskFull', multi: ['x', 'y'] },
  });
  assert.deepEqual(labels.source, ['prom']);
  assert.deepEqual(labels.severity, ['critical']);
  assert.deepEqual(labels['labels.team'], ['storage']);
  assert.deepEqual(labels.team, ['storage']);
  assert.deepEqual(labels.tags, ['a', '1']);
  assert.deepEqual(labels.multi, ['x', 'y']);
  assert.equal(labels.n, undefined);
  assert.deepEqual(labels['deep.a.b.c.d'], undefined, 'nesting is bounded');
});

test('labels: no severity means no severity label, even if the metadata has one', () => {
  assert.equal(labelsOf({ source: 's', metadata: { severity: 'high' } }).severity, undefined);
});

test('label arguments', () => {
  assert.deepEqual(parseLabelArgs(['team=storage', 'x=a=b', 'x=c']), { ok: true, labels: { team: ['storage'], x: ['a=b', 'c'] } });
  assert.equal(parseLabelArgs(['=v']).ok, false);
});
