import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceConfig } from '../../config/load.ts';
import type { AlertEvent } from '../../domain/alert.ts';
import { logsOptions, type LogsOptions } from '../rules/config.ts';
import { LogRules } from '../rules/engine.ts';
import { LogsPool, type PoolLog } from './pool.ts';

const enc = (s: string) => new TextEncoder().encode(s);

function options(rules: unknown[]): LogsOptions {
  const parsed = logsOptions.safeParse({ rules });
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
  return parsed.data;
}

function recordingLog() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const log: PoolLog = {
    warn: (fields, message) => void lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => void lines.push({ level: 'error', fields, message }),
  };
  return { log, lines };
}

function engine(now: number) {
  const sent: AlertEvent[][] = [];
  const e = new LogRules({ ingest: async (_s, events) => (sent.push(events), { results: events.map((x) => ({ dedup_key: x.dedupKey })) }), now: () => now, failed: () => undefined });
  return { e, sent };
}

const RULES = [
  { name: 'errors', query: 'm.level:error', group_by: ['m.region'], sample: 2, title: 'errors in {{m.region}}' },
  { name: 'burst', query: 'timeout', threshold: { count: 3, window: '10s' }, sample: 1 },
  { name: 'quiet', query: 'm.service:payments', sample: 0 },
];

function body(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const region = ['eu', 'us', 'ap'][i % 3];
    lines.push(JSON.stringify({ message: i % 4 === 0 ? `timeout ${i}` : `line ${i}`, level: i % 2 ? 'error' : 'info', region, service: i % 5 ? 'web' : 'payments' }));
  }
  lines.push('"not an object"');
  return lines.join('\n');
}

test('a body read on a worker applies exactly as the same body read on the main thread; its bytes are transferred', async (t) => {
  const { log } = recordingLog();
  const pool = new LogsPool({ size: 1, log });
  t.after(() => pool.close());
  const o = options(RULES);
  const source: SourceConfig = { name: 'applogs', type: 'logs', token: 'x'.repeat(20), bodyLimit: 1 << 20, severityMap: {}, options: o };
  const text = body(500);
  const bytes = enc(text);
  const answer = await pool.read(o, bytes);
  assert.equal(bytes.byteLength, 0, 'the body was transferred, not copied');
  assert.ok(answer.ok && answer.tally.ok);
  assert.equal(answer.tally.events, 500);
  assert.equal(answer.tally.skipped, 1);

  const onWorker = engine(1_000_000);
  const onMain = engine(1_000_000);
  // Two requests each: the second finds the alerts open (counted, no fire).
  const a1 = await onWorker.e.applyTally(source, o, answer.tally);
  const events = text.split('\n').map((l) => JSON.parse(l) as unknown).filter((e): e is Record<string, unknown> => typeof e === 'object');
  const b1 = await onMain.e.handle(source, o, events);
  assert.deepEqual(a1, b1);
  const again = await pool.read(o, enc(text));
  assert.ok(again.ok && again.tally.ok);
  assert.deepEqual(await onWorker.e.applyTally(source, o, again.tally), await onMain.e.handle(source, o, events));
  assert.deepEqual(onWorker.sent, onMain.sent);
  assert.ok(onWorker.sent[0]!.length >= 4, 'grouped and threshold alerts fired');
  for (const r of ['errors', 'burst', 'quiet']) assert.deepEqual(onWorker.e.stat('applogs', r), onMain.e.stat('applogs', r));
  await onWorker.e.stop();
  await onMain.e.stop();
});

test('a bad line is the 400 readLogBody gives, from the worker too', async (t) => {
  const pool = new LogsPool({ size: 1, log: recordingLog().log });
  t.after(() => pool.close());
  const answer = await pool.read(options(RULES), enc('{"message":"ok"}\n{"message": secret'));
  assert.ok(answer.ok && !answer.tally.ok);
  assert.equal(answer.tally.problems[0]!.field, '(line 2)');
  assert.doesNotMatch(JSON.stringify(answer.tally.problems), /secret/);
});

test('rule sets are versioned: a reload never changes how a body already sent is read, and old versions are dropped safely', async (t) => {
  const pool = new LogsPool({ size: 1, log: recordingLog().log });
  t.after(() => pool.close());
  const v1 = options([{ name: 'r', query: 'alpha' }]);
  const v2 = options([{ name: 'r', query: 'beta' }]);
  const text = ['alpha 1', 'alpha 2', 'beta 1'].map((m) => JSON.stringify({ message: m })).join('\n');
  // In flight together: v1's request was sent before v2 existed.
  const [r1, r2] = await Promise.all([pool.read(v1, enc(text)), pool.read(v2, enc(text))]);
  assert.ok(r1.ok && r1.tally.ok && r2.ok && r2.tally.ok);
  assert.equal(r1.tally.matched, 2);
  assert.equal(r2.tally.matched, 1);
  // Many reloads (more versions than a worker keeps): every request still reads with its own.
  const versions = Array.from({ length: 40 }, (_, i) => options([{ name: 'r', query: i % 2 ? 'alpha' : 'beta' }]));
  const answers = await Promise.all([...versions, v1, ...versions].map((v) => pool.read(v, enc(text))));
  answers.forEach((a, i) => {
    const v = [...versions, v1, ...versions][i]!;
    assert.ok(a.ok && a.tally.ok);
    assert.equal(a.tally.matched, v.rules[0]!.query === 'alpha' ? 2 : 1);
  });
});

const unruly = (t: { after(fn: () => unknown): void }, hangMs = 30_000) => {
  const rec = recordingLog();
  const pool = new LogsPool({ size: 1, log: rec.log, file: './testdata/unruly-worker.ts', base: import.meta.url, hangMs, maxOldGenerationSizeMb: 32 });
  t.after(() => pool.close());
  return { pool, ...rec };
};

for (const how of ['crash', 'exit', 'oom'] as const) {
  test(`a worker that dies (${how}) answers the requests it held unavailable, is replaced, and the log says nothing of the body`, async (t) => {
    const { pool, lines } = unruly(t);
    const o = options([{ name: 'r', query: 'x' }]);
    const held = pool.read(o, enc('fine'));
    const dying = pool.read(o, enc(how));
    const after = pool.read(o, enc('fine'));
    assert.deepEqual((await held).ok, true, 'answered before the worker died');
    assert.deepEqual(await dying, { ok: false, reason: 'unavailable' });
    assert.deepEqual(await after, { ok: false, reason: 'unavailable' }, 'queued behind it on the same worker');
    // The replacement reads the next body.
    const next = await pool.read(o, enc('fine'));
    assert.ok(next.ok && next.tally.ok);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.fields.requests, 2);
    assert.doesNotMatch(JSON.stringify(lines), /boom|fine/);
  });
}

test('a worker that hangs past hangMs is ended and replaced; its requests are answered unavailable', async (t) => {
  const { pool, lines } = unruly(t, 1500);
  const o = options([{ name: 'r', query: 'x' }]);
  const started = Date.now();
  assert.deepEqual(await pool.read(o, enc('hang')), { ok: false, reason: 'unavailable' });
  assert.ok(Date.now() - started < 5000);
  const next = await pool.read(o, enc('fine'));
  assert.ok(next.ok);
  assert.equal(lines[0]!.fields.how, 'hung');
});

test('requests go to the least busy worker, and a closed pool answers unavailable', async () => {
  const pool = new LogsPool({ size: 2, log: recordingLog().log });
  const o = options([{ name: 'r', query: 'x' }]);
  const answers = await Promise.all(Array.from({ length: 6 }, () => pool.read(o, enc(JSON.stringify({ message: 'x' })))));
  for (const a of answers) assert.ok(a.ok && a.tally.ok && a.tally.matched === 1);
  await pool.close();
  assert.deepEqual(await pool.read(o, enc('{}')), { ok: false, reason: 'unavailable' });
});
