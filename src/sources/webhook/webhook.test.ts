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

test('severity words go through the source severity_map first', async () => {
  const r = await webhookSource.parse({ check: 'a', level: 'P1' }, { source: 'shop', options: configure({ ...base, severity: 'level' }), query: {}, severityMap: { p1: 'critical' } });
  assert.ok(r.ok);
  assert.equal(r.value.events[0]!.severity, 'critical');
  assert.equal(r.value.events[0]!.metadata.raw_severity, undefined);
});

// A payload the mapping does not fit still pages: what the mapping could not give is derived, and the answer says so.
const lenient: [string, Record<string, unknown>, unknown, (r: { events: any[]; warnings: string[] }) => void][] = [
  ['title yields nothing: derived from the payload', { title: 'name', dedup_key: '"k"' }, { Logs: '[ERROR] pool exhausted\nat db.ts:12', ServiceName: 'orders' }, ({ events, warnings }) => {
    assert.equal(events[0].title, 'orders: [ERROR] pool exhausted');
    assert.equal(events[0].dedupKey, 'k');
    assert.deepEqual(warnings, ['title: expression "name" gave nothing: title derived from the payload']);
  }],
  ['dedup key yields nothing: a hash of the stable fields', { title: '"t"', dedup_key: 'id' }, { check: 'disk', at: '2025-01-01T00:00:00Z' }, ({ events, warnings }) => {
    assert.match(events[0].dedupKey, /^auto:[0-9a-f]{32}$/);
    assert.deepEqual(warnings, [`dedup_key: expression "id" gave nothing: identity derived from the payload's stable fields`]);
  }],
  ['title yields several values', { title: 'names', dedup_key: '"k"' }, { names: ['a', 'b'] }, ({ events, warnings }) => {
    assert.equal(events[0].title, 'names=a, b');
    assert.match(warnings[0]!, /^title: expression "names" returned 2 values, expected one$/);
  }],
  ['title yields an object', { title: 'o', dedup_key: '"k"' }, { o: { a: 1 } }, ({ events, warnings }) => {
    assert.equal(events[0].title, 'o.a=1');
    assert.match(warnings[0]!, /object/);
  }],
  ['status word unknown: firing', { ...base, status: 's' }, { check: 'a', s: 'maybe' }, ({ events, warnings }) => {
    assert.equal(events[0].status, 'firing');
    assert.match(warnings[0]!, /"maybe", expected firing or resolved \(or use resolved_when\); read as firing/);
  }],
  ['metadata not an object: the payload', { ...base, metadata: 'check' }, { check: 'a' }, ({ events, warnings }) => {
    assert.deepEqual(events[0].metadata, { check: 'a' });
    assert.match(warnings[0]!, /must return an object; sent the payload instead/);
  }],
  ['runtime error', { title: '$number(t)', dedup_key: '"k"' }, { t: 'x' }, ({ events, warnings }) => {
    assert.equal(events[0].title, 't=x');
    assert.match(warnings[0]!, /^title: expression "\$number\(t\)" failed: Unable to cast/);
  }],
  ['items select nothing: no alerts', { ...base, items: 'list' }, { list: [] }, ({ events, warnings }) => {
    assert.deepEqual(events, []);
    assert.match(warnings[0]!, /selected nothing/);
  }],
  ['empty array body: no alerts', base, [], ({ events, warnings }) => {
    assert.deepEqual(events, []);
    assert.deepEqual(warnings, ['the array is empty: no alerts in it']);
  }],
  ['a bad element in an array is still an alert, named in the warning', base, [{ check: 'a' }, { nope: 'x' }], ({ events, warnings }) => {
    assert.deepEqual(events.map((e) => e.dedupKey), ['a', events[1].dedupKey]);
    assert.match(events[1].dedupKey, /^auto:/);
    assert.deepEqual(warnings, [`[1]: dedup_key: expression "check" gave nothing: identity derived from the payload's stable fields`]);
  }],
];
for (const [name, opts, body, check] of lenient) {
  test(`accepts: ${name}`, async () => {
    const r = await parse(opts, body);
    assert.ok(r.ok, JSON.stringify(r));
    check({ events: r.value.events, warnings: r.value.warnings ?? [] });
  });
}

test('the derived identity is the same for a repeat with a new timestamp', async () => {
  const opts = { title: 'name', dedup_key: 'missing' };
  const a = await parse(opts, { log: 'ERROR pool exhausted after 30s', service: 'orders', time: '2025-01-01T10:00:00Z' });
  const b = await parse(opts, { log: 'ERROR pool exhausted after 31s', service: 'orders', time: '2025-01-01T10:05:00Z' });
  const c = await parse(opts, { log: 'ERROR disk full', service: 'orders', time: '2025-01-01T10:05:00Z' });
  assert.ok(a.ok && b.ok && c.ok);
  assert.equal(a.value.events[0]!.dedupKey, b.value.events[0]!.dedupKey);
  assert.notEqual(a.value.events[0]!.dedupKey, c.value.events[0]!.dedupKey);
});

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
