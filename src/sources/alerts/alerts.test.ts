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

const parseWith = (body: unknown, severityMap: Record<string, 'critical' | 'error' | 'warning' | 'info'>) =>
  alertsSource.parse(body, { source: 'app', options: {}, query: {}, severityMap });

const accepted = (body: unknown, map: Record<string, 'critical' | 'error' | 'warning' | 'info'> = {}) => {
  const r = parseWith(body, map);
  assert.ok(r.ok, JSON.stringify(r));
  return { event: r.value.events[0]!, events: r.value.events, warnings: r.value.warnings ?? [] };
};

test('an unknown field never costs the page: kept in metadata and reported', () => {
  const { event, warnings } = accepted({ title: 't', sevrity: 'critical', team: 'storage', metadata: { service: 'orders' } });
  assert.deepEqual(event.metadata, { service: 'orders', sevrity: 'critical', team: 'storage' });
  assert.equal(event.severity, undefined);
  assert.deepEqual(warnings, ['unknown field(s) sevrity, team: kept in metadata']);
});

test('an unknown field does not overwrite a metadata key of the same name', () => {
  const { event } = accepted({ title: 't', team: 'top', metadata: { team: 'inner' } });
  assert.equal(event.metadata.team, 'inner');
});

test('a known field alone gives no warning', () => {
  const r = parse({ title: 't', severity: 'critical' });
  assert.ok(r.ok);
  assert.equal('warnings' in r.value, false);
});

const severities: [string, unknown, Record<string, 'critical' | 'error' | 'warning' | 'info'>, string | undefined, string | undefined][] = [
  ['one of the four', 'warning', {}, 'warning', undefined],
  ['a shared word: high', 'high', {}, 'error', undefined],
  ['a shared word, any case: CRIT', 'CRIT', {}, 'critical', undefined],
  ['the source severity_map first: P1', 'P1', { p1: 'critical' }, 'critical', undefined],
  ['severity_map overrides a shared word', 'high', { high: 'critical' }, 'critical', undefined],
  ['an unknown word: kept raw', 'P1', {}, undefined, 'P1'],
  ['a number mapped by severity_map', 1, { '1': 'critical' }, 'critical', undefined],
];
for (const [name, word, map, severity, raw] of severities) {
  test(`severity: ${name}`, () => {
    const { event, warnings } = accepted({ title: 't', severity: word }, map);
    assert.equal(event.severity, severity);
    assert.equal(event.metadata.raw_severity, raw);
    if (raw) assert.match(warnings[0]!, /severity "P1" is not one of critical, error, warning, info \(add it to the source's severity_map\): left unset, kept as metadata.raw_severity/);
    else assert.deepEqual(warnings, []);
  });
}

const repaired: [string, unknown, (e: ReturnType<typeof accepted>) => void][] = [
  ['no title: the description\'s first line', { description: '\nDisk full on db1\nsee runbook', dedup_key: 'disk-db1' }, ({ event, warnings }) => {
    assert.deepEqual([event.title, event.dedupKey], ['Disk full on db1', 'disk-db1']);
    assert.deepEqual(warnings, ["no title: used the description's first line"]);
  }],
  ['no title: the dedup_key', { dedup_key: 'disk-db1', status: 'resolved' }, ({ event, warnings }) => {
    assert.deepEqual([event.title, event.dedupKey, event.status], ['disk-db1', 'disk-db1', 'resolved']);
    assert.deepEqual(warnings, ['no title: used the dedup_key']);
  }],
  ['a blank title with a dedup_key', { title: '  ', dedup_key: 'k' }, ({ event }) => assert.equal(event.title, 'k')],
  ['a status word that says firing or resolved', { title: 't', status: 'OK' }, ({ event, warnings }) => {
    assert.equal(event.status, 'resolved');
    assert.deepEqual(warnings, ['status "OK" read as resolved']);
  }],
  ['Resolved, any case, silently', { title: 't', status: 'Resolved' }, ({ event, warnings }) => assert.deepEqual([event.status, warnings], ['resolved', []])],
  ['metadata not an object', { title: 't', metadata: [1] }, ({ event, warnings }) => {
    assert.deepEqual(event.metadata, { value: [1] });
    assert.deepEqual(warnings, ['metadata is not an object: kept as metadata.value']);
  }],
  ['a relative source_url is left out', { title: 't', source_url: '/x' }, ({ event, warnings }) => {
    assert.equal(event.sourceUrl, undefined);
    assert.deepEqual(warnings, ['source_url is not an absolute http(s) URL: left out']);
  }],
  ['a number dedup_key', { title: 't', dedup_key: 42 }, ({ event }) => assert.equal(event.dedupKey, '42')],
  ['a title over 1,000 characters is cut', { title: 'x'.repeat(1200) }, ({ event, warnings }) => {
    assert.equal(event.title.length, 1000);
    assert.match(warnings[0]!, /title is 1200 characters: cut to 1000/);
  }],
];
for (const [name, body, check] of repaired) test(`accepts ${name}`, () => check(accepted(body)));

test('warnings of an array name the alerts, grouped by message', () => {
  const { events, warnings } = accepted(Array.from({ length: 5 }, (_, i) => ({ title: `t${i}`, team: 'x' })));
  assert.equal(events.length, 5);
  assert.deepEqual(warnings, ['[0], [1], [2] and 2 more: unknown field(s) team: kept in metadata']);
});

const bad: [string, unknown, string, RegExp][] = [
  ['no title and nothing to derive one from', { status: 'firing', metadata: { a: 1 } }, 'title', /required \(and there is no description or dedup_key/],
  ['a blank title and nothing else', { title: '  ' }, 'title', /required/],
  ['a title that is not a string', { title: 3 }, 'title', /must be a string/],
  ['a status that is not a string', { title: 't', status: true }, 'status', /firing/],
  ['a status word that says neither', { title: 't', status: 'maybe' }, 'status', /"maybe" says neither firing nor resolved/],
  ['a dedup_key that is an object', { title: 't', dedup_key: { a: 1 } }, 'dedup_key', /string/],
  ['not an object', 'hello', '(body)', /object/],
  ['bad item in an array', [{ title: 'ok' }, { title: 3 }], '[1].title', /string/],
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
