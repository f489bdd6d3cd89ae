import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertsSource } from './alerts.ts';

const parse = (body: unknown) => alertsSource.parse(body, { source: 'app', options: {}, query: {} });

test('a single alert with every field', () => {
  const r = parse({
    title: 'Orders API 5xx above 2%',
    dedup_key: 'orders-5xx',
    severity: 'critical',
    description: 'see dashboard',
    source_url: 'https://grafana.example/d/1',
    metadata: { service: 'orders', team: ['payments'] },
  });
  assert.ok(r.ok);
  assert.deepEqual(r.value.events, [
    {
      source: 'app',
      dedupKey: 'orders-5xx',
      status: 'firing',
      title: 'Orders API 5xx above 2%',
      description: 'see dashboard',
      severity: 'critical',
      sourceUrl: 'https://grafana.example/d/1',
      metadata: { service: 'orders', team: ['payments'] },
    },
  ]);
});

test('without dedup_key the title is the identity', () => {
  const r = parse({ title: 'Disk full', status: 'resolved' });
  assert.ok(r.ok);
  assert.equal(r.value.events[0]!.dedupKey, 'Disk full');
  assert.equal(r.value.events[0]!.status, 'resolved');
});

const bad: [string, unknown, string, RegExp][] = [
  ['missing title', { dedup_key: 'x' }, 'title', /Required/],
  ['blank title', { title: '  ' }, 'title', /empty/],
  ['bad status', { title: 't', status: 'open' }, 'status', /firing/],
  ['bad severity', { title: 't', severity: 'high' }, 'severity', /critical/],
  ['metadata not an object', { title: 't', metadata: [1] }, 'metadata', /object/],
  ['unknown field', { title: 't', sevrity: 'critical' }, '(body)', /sevrity/],
  ['not an object', 'hello', '(body)', /object/],
  ['bad item in an array', [{ title: 'ok' }, { title: 3 }], '[1].title', /string/],
  ['relative source_url', { title: 't', source_url: '/x' }, 'source_url', /URL/],
  ['empty array', [], '(body)', /empty/],
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

test('more than 1000 alerts is refused', () => {
  const r = parse(Array.from({ length: 1001 }, (_, i) => ({ title: `a${i}` })));
  assert.equal(r.ok, false);
});
