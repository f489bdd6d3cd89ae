import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceConfig } from '../../config/load.ts';
import type { AlertEvent } from '../../domain/alert.ts';
import { logsOptions, type LogsOptions } from './config.ts';
import { LogRules, MAX_GROUPS } from './engine.ts';

function setup(rules: unknown[]) {
  const parsed = logsOptions.safeParse({ rules });
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
  const options: LogsOptions = parsed.data;
  const source: SourceConfig = { name: 'applogs', type: 'logs', token: 'x'.repeat(20), bodyLimit: 1 << 20, severityMap: {}, options };
  let now = 1_000_000;
  const sent: AlertEvent[][] = [];
  const engine = new LogRules({
    ingest: async (_s, events) => (sent.push(events), { results: events.map((e) => ({ dedup_key: e.dedupKey })) }),
    now: () => now,
    failed: () => undefined,
  });
  return { engine, source, options, sent, advance: (ms: number) => (now += ms), at: () => now };
}

const err = (region: string, n = 0) => ({ message: `payment failed ${n}`, level: 'error', service: 'payments', region });

test('a burst fires once in the request; the rest is one update per window, with the count and the first samples', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const s = setup([{ name: 'payment-errors', query: 'm.level:error m.service:payments', threshold: { window: '10s' }, sample: 3, resolve_after_quiet: '1m' }]);
  const first = await s.engine.handle(s.source, s.options, Array.from({ length: 500 }, (_, i) => err('eu', i)));
  assert.equal(first.matched, 500);
  assert.equal(s.sent.length, 1);
  const fired = s.sent[0]![0]!;
  assert.equal(fired.dedupKey, 'payment-errors');
  assert.equal(fired.metadata.matched, 1);
  assert.equal(fired.resolveAfterMs, 60_000);
  // More of the burst, and a line that does not match.
  await s.engine.handle(s.source, s.options, [...Array.from({ length: 500 }, (_, i) => err('eu', 500 + i)), { message: 'fine', level: 'info' }]);
  assert.equal(s.sent.length, 1, 'no event per line');
  s.advance(10_000);
  t.mock.timers.tick(10_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(s.sent.length, 2);
  const update = s.sent[1]![0]!;
  assert.equal(update.metadata.matched, 999);
  assert.equal((update.metadata.data as unknown[]).length, 3);
  assert.equal(update.title, fired.title);
  // Nothing more matched: no further update.
  s.advance(10_000);
  t.mock.timers.tick(10_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(s.sent.length, 2);
  assert.equal(s.engine.stat('applogs', 'payment-errors').matched, 1000);
});

test('group_by splits alerts and templates the title; a threshold holds below its count', async () => {
  const s = setup([
    { name: 'by-region', query: 'm.level:error', group_by: ['m.region'], title: 'Errors in {{m.region}}' },
    { name: 'five', query: 'm.level:error', threshold: { count: 5, window: '1m' } },
  ]);
  await s.engine.handle(s.source, s.options, [err('eu'), err('us'), err('eu'), err('us')]);
  const keys = s.sent.flat().map((e) => e.dedupKey).sort();
  assert.deepEqual(keys, ['by-region:eu', 'by-region:us']);
  assert.deepEqual(s.sent.flat().map((e) => e.title).sort(), ['Errors in eu', 'Errors in us']);
  assert.ok(!s.sent.flat().some((e) => e.dedupKey === 'five'), 'four matches of five do not fire');
  await s.engine.handle(s.source, s.options, [err('eu')]);
  assert.ok(s.sent.flat().some((e) => e.dedupKey === 'five'));
  await s.engine.stop();
});

test('matches spread wider than the window never meet the threshold; after the quiet time the alert fires again', async () => {
  const s = setup([{ name: 'two', query: 'm.level:error', threshold: { count: 2, window: '5s' }, resolve_after_quiet: '30s' }]);
  await s.engine.handle(s.source, s.options, [err('eu')]);
  s.advance(6000);
  await s.engine.handle(s.source, s.options, [err('eu')]);
  assert.equal(s.sent.length, 0);
  s.advance(1000);
  await s.engine.handle(s.source, s.options, [err('eu')]);
  assert.equal(s.sent.length, 1);
  s.advance(31_000);
  await s.engine.handle(s.source, s.options, [err('eu')]);
  assert.equal(s.sent.length, 1, 'closed after the quiet time: the threshold counts again');
  await s.engine.handle(s.source, s.options, [err('eu')]);
  assert.equal(s.sent.length, 2);
  await s.engine.stop();
});

test('a fire that could not be stored closes the alert again, so the retry fires it', async () => {
  const s = setup([{ name: 'any', query: 'm.level:error' }]);
  let fail = true;
  const engine = new LogRules({
    ingest: async (_s, events) => {
      if (fail) throw new Error('storage down');
      s.sent.push(events);
      return { results: [] };
    },
    now: () => s.at(),
    failed: () => undefined,
  });
  await assert.rejects(engine.handle(s.source, s.options, [err('eu')]));
  fail = false;
  await engine.handle(s.source, s.options, [err('eu')]);
  assert.equal(s.sent.length, 1);
  assert.equal(s.sent[0]![0]!.metadata.matched, 2);
  await engine.stop();
});

test('stop sends what is pending as one last update', async () => {
  const s = setup([{ name: 'any', query: 'm.level:error' }]);
  await s.engine.handle(s.source, s.options, [err('eu')]);
  await s.engine.handle(s.source, s.options, [err('eu'), err('eu')]);
  await s.engine.stop();
  assert.equal(s.sent.length, 2);
  assert.equal(s.sent[1]![0]!.metadata.matched, 2);
});

test('at most MAX_GROUPS open groups per rule (the answer says so); quiet groups are forgotten, making room', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const s = setup([{ name: 'by-user', query: 'm.level:error', group_by: ['m.user'], threshold: { window: '1s' }, resolve_after_quiet: '5s', sample: 0 }]);
  const users = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ message: 'x', level: 'error', user: `u${from + i}` }));
  const first = await s.engine.handle(s.source, s.options, users(0, MAX_GROUPS + 5));
  assert.equal(s.sent.flat().length, MAX_GROUPS);
  assert.match(first.warnings[0]!, /by-user.*1000 group values/);
  s.advance(6000);
  t.mock.timers.tick(6000);
  await new Promise((r) => setImmediate(r));
  const later = await s.engine.handle(s.source, s.options, users(5000, 10));
  assert.deepEqual(later.warnings, []);
  assert.equal(s.sent.flat().length, MAX_GROUPS + 10);
});

test('a group value that is an object or a list is cheap text, never a walk of the value', async () => {
  const s = setup([{ name: 'g', query: 'm.level:error', group_by: ['m.tags'], title: 'tags {{m.tags}} {{m.ctx}}' }]);
  await s.engine.handle(s.source, s.options, [{ message: 'x', level: 'error', tags: ['a', 'b', { c: 1 }], ctx: { deep: {} } }]);
  assert.equal(s.sent[0]![0]!.dedupKey, 'g:a, b');
  assert.equal(s.sent[0]![0]!.title, 'tags a, b [object]');
  await s.engine.stop();
});
