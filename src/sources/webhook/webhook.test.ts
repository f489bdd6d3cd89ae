import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webhookSource } from './webhook.ts';

const configure = (raw: Record<string, unknown>) => {
  const r = webhookSource.options.safeParse(raw);
  if (!r.success) throw new Error(JSON.stringify(r.error.issues));
  return r.data;
};
const parse = (raw: Record<string, unknown>, body: unknown) =>
  webhookSource.parse(body, { source: 'shop', options: configure(raw), query: {} });

const base = { title: 'check & " is down"', dedup_key: 'check' };

test('one object → one event, metadata is the payload minus exclude', async () => {
  const r = await parse({ ...base, description: 'details', severity: 'level', source_url: 'link', exclude: ['secret'] }, {
    check: 'checkout',
    details: 'HTTP 503 from /pay',
    level: 'high',
    link: 'https://status.example/checkout',
    secret: 'x',
  });
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.value.events, [
    {
      source: 'shop',
      dedupKey: 'checkout',
      status: 'firing',
      title: 'checkout is down',
      description: 'HTTP 503 from /pay',
      severity: 'error',
      sourceUrl: 'https://status.example/checkout',
      metadata: { check: 'checkout', details: 'HTTP 503 from /pay', level: 'high', link: 'https://status.example/checkout' },
    },
  ]);
});

const statuses: [string, Record<string, unknown>, unknown, string][] = [
  ['status expression "resolved"', { status: 'state' }, { check: 'a', state: 'resolved' }, 'resolved'],
  ['status expression "OK" is a resolve word', { status: 'state' }, { check: 'a', state: 'OK' }, 'resolved'],
  ['status expression "alerting"', { status: 'state' }, { check: 'a', state: 'alerting' }, 'firing'],
  ['status expression yields nothing → firing', { status: 'state' }, { check: 'a' }, 'firing'],
  ['resolved_when true', { resolved_when: 'up = true' }, { check: 'a', up: true }, 'resolved'],
  ['resolved_when false', { resolved_when: 'up = true' }, { check: 'a', up: false }, 'firing'],
  ['no status option → firing', {}, { check: 'a' }, 'firing'],
];
for (const [name, opts, body, status] of statuses) {
  test(`status: ${name}`, async () => {
    const r = await parse({ ...base, ...opts }, body);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.events[0]!.status, status);
  });
}

test('an array body fans out, one event per element', async () => {
  const r = await parse(base, [{ check: 'a' }, { check: 'b' }]);
  assert.ok(r.ok);
  assert.deepEqual(r.value.events.map((e) => e.dedupKey), ['a', 'b']);
});

test('items selects the array to fan out over; $payload reaches the whole body', async () => {
  const r = await parse(
    { title: 'name', dedup_key: '$payload.service & "/" & name', items: 'checks', metadata: '{"service": $payload.service}' },
    { service: 'shop', checks: [{ name: 'db' }, { name: 'cache' }] },
  );
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.value.events.map((e) => [e.dedupKey, e.title, e.metadata]), [
    ['shop/db', 'db', { service: 'shop' }],
    ['shop/cache', 'cache', { service: 'shop' }],
  ]);
});

test('a number dedup key is text; an unknown severity word is kept raw', async () => {
  const r = await parse({ title: 't', dedup_key: 'id', severity: 'sev' }, { t: 'x', id: 42, sev: 'P3' });
  assert.ok(r.ok);
  assert.equal(r.value.events[0]!.dedupKey, '42');
  assert.equal(r.value.events[0]!.severity, undefined);
  assert.equal(r.value.events[0]!.metadata.raw_severity, 'P3');
});

test('a relative source_url is dropped, the alert is kept', async () => {
  const r = await parse({ ...base, source_url: 'link' }, { check: 'a', link: '/status' });
  assert.ok(r.ok);
  assert.equal(r.value.events[0]!.sourceUrl, undefined);
});

test('the same payload always gives the same event (deterministic)', async () => {
  const body = { check: 'a', when: 1 };
  const [a, b] = await Promise.all([parse(base, body), parse(base, body)]);
  assert.deepEqual(a, b);
});

const bad: [string, Record<string, unknown>, unknown, string, RegExp][] = [
  ['title yields nothing', { title: 'name', dedup_key: '"k"' }, { other: 1 }, 'title', /expression "name" returned nothing/],
  ['dedup key yields nothing', { title: '"t"', dedup_key: 'id' }, {}, 'dedup_key', /"id" returned nothing/],
  ['title yields several values', { title: 'names', dedup_key: '"k"' }, { names: ['a', 'b'] }, 'title', /returned 2 values/],
  ['title yields an object', { title: 'o', dedup_key: '"k"' }, { o: { a: 1 } }, 'title', /object/],
  ['status word unknown', { ...base, status: 's' }, { check: 'a', s: 'maybe' }, 'status', /"maybe", expected firing or resolved/],
  ['metadata not an object', { ...base, metadata: 'check' }, { check: 'a' }, 'metadata', /must return an object/],
  ['runtime error', { title: '$number(t)', dedup_key: '"k"' }, { t: 'x' }, 'title', /failed: Unable to cast/],
  ['items select nothing', { ...base, items: 'list' }, { list: [] }, 'items', /selected nothing/],
  ['empty array body', base, [], '(body)', /empty/],
  // `&` turns a missing field into "", so the title survives and the missing identity is what gets reported.
  ['bad element in an array', base, [{ check: 'a' }, { nope: 1 }], '[1].dedup_key', /"check" returned nothing/],
];
for (const [name, opts, body, field, message] of bad) {
  test(`rejects: ${name}`, async () => {
    const r = await parse(opts, body);
    assert.equal(r.ok, false, JSON.stringify(r));
    if (!r.ok) {
      assert.equal(r.problems[0]!.field, field);
      assert.match(r.problems[0]!.message, message);
    }
  });
}

test('more than 1000 items is refused', async () => {
  const r = await parse(base, Array.from({ length: 1001 }, (_, i) => ({ check: `c${i}` })));
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.problems[0]!.message, /at most 1000/);
});

const badConfig: [string, Record<string, unknown>, string, RegExp][] = [
  ['an invalid expression, named with the jsonata error at its key', { ...base, severity: 'labels.(' }, 'severity', /invalid jsonata expression "labels\.\(": Expected "\)" before end of expression/],
  ['a missing title', { dedup_key: 'k' }, 'title', /Required/],
  ['status and resolved_when together', { ...base, status: 's', resolved_when: 'r' }, 'resolved_when', /either/],
  ['an unknown key', { ...base, titel: 'x' }, '', /titel/],
  ['an empty expression', { ...base, title: ' ' }, 'title', /empty/],
];
for (const [name, raw, path, message] of badConfig) {
  test(`config refuses ${name}`, () => {
    const r = webhookSource.options.safeParse(raw);
    assert.equal(r.success, false);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      assert.equal(issue.path.join('.'), path);
      assert.match(issue.code === 'unrecognized_keys' ? issue.keys.join(',') : issue.message, message);
    }
  });
}
