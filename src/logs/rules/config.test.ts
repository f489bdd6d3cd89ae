import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoWorkers, logsOptions } from './config.ts';
import { sampleOf, MAX_SAMPLE_BYTES } from './sample.ts';

const issues = (rules: unknown[]) => {
  const r = logsOptions.safeParse({ rules });
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};

test('the issue\'s example rule loads as written', () => {
  const r = logsOptions.safeParse({
    rules: [
      {
        name: 'payment-errors',
        query: 'm.level:error m.service:payments -"health check"',
        group_by: ['m.region'],
        threshold: { count: 5, window: '1m' },
        severity: 'error',
        title: 'Payment errors in {{m.region}}',
        resolve_after_quiet: '10m',
        sample: 10,
      },
    ],
  });
  assert.ok(r.success, JSON.stringify(!r.success && r.error.issues));
  const rule = r.data.rules[0]!;
  assert.deepEqual([rule.count, rule.windowMs, rule.quietMs, rule.sample], [5, 60_000, 600_000, 10]);
  assert.deepEqual(r.data.match({ message: 'x', metadata: { level: 'error', service: 'payments' } }), [0]);
  assert.deepEqual(r.data.match({ message: 'health check', metadata: { level: 'error', service: 'payments' } }), []);
});

test('a query that does not compile names the rule and the column; other mistakes name their key', () => {
  const q = issues([{ name: 'broken', query: 'm.level:error AND (' }]);
  assert.equal(q[0]!.path, 'rules.0.query');
  assert.match(q[0]!.message, /rule "broken": column \d+/);
  assert.equal(issues([{ name: 'a', query: 'x' }, { name: 'a', query: 'y' }])[0]!.path, 'rules.1.name');
  assert.equal(issues([{ name: 'q', query: 'x', threshold: { window: '5m' }, resolve_after_quiet: '1m' }])[0]!.path, 'rules.0.resolve_after_quiet');
  assert.equal(issues([{ name: 't', query: 'x', title: 'In {{region}}' }])[0]!.path, 'rules.0.title');
  assert.equal(issues([{ name: 'g', query: 'x', group_by: ['region'] }])[0]!.path, 'rules.0.group_by.0');
  assert.equal(issues([{ name: 'u', query: 'x', unknown: 1 }])[0]!.message.includes('unknown'), true);
});

test('defaults: any match fires, one update a minute, resolved after 10 minutes of quiet', () => {
  const r = logsOptions.parse({ rules: [{ name: 'any', query: 'error' }] });
  const rule = r.rules[0]!;
  assert.deepEqual([rule.count, rule.windowMs, rule.quietMs, rule.sample, rule.severity], [1, 60_000, 600_000, 10, 'error']);
});

test('a sample is plain, bounded JSON', () => {
  const big = { message: 'm'.repeat(5000), b: 'b'.repeat(1500), a: 1, nested: { deep: { deeper: { deepest: { more: { again: { x: 1 } } } } } }, __proto__x: 1 };
  const s = sampleOf(big);
  assert.ok(JSON.stringify(s).length <= MAX_SAMPLE_BYTES);
  assert.equal(s._truncated, true);
  assert.equal(s.a, 1);
  const withProto = JSON.parse('{"__proto__": {"x": 1}, "message": "m"}') as Record<string, unknown>;
  assert.deepEqual(Object.keys(sampleOf(withProto)), ['message']);
});

test('workers: auto starts none on 2 or 3 cores (measured not to help there), cores − 1 from 4 up', () => {
  assert.deepEqual([1, 2, 3, 4, 8].map((c) => autoWorkers(c)), [0, 0, 0, 3, 7]);
});
