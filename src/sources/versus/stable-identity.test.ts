import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { derivedTitle, summaryOf } from './derive.ts';
import { identityFields, maskVariable, stableIdentity } from './stable-identity.ts';

const body = (name: string) => JSON.parse(readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8'));

const masked: [string, string][] = [
  ['[2025/01/22 09:46:49] [ ERROR ] pool exhausted after 30s (req-7f3a)', '[# #] [ ERROR ] pool exhausted after # (#)'],
  ['GET /orders/1234 took 812ms from 10.0.3.7', 'GET # took # from #'],
  ["KeyError: 'user_id'\n  File \"/srv/app.py\", line 88", "KeyError: 'user_id' File \"/srv/app.py\", line #"],
  ['trace=4bf92f3577b34da6a3ce929d0e0e4736 user=alice', 'trace=# user=alice'],
];
for (const [text, expected] of masked) test(`masks what varies: ${text.slice(0, 40)}`, () => assert.equal(maskVariable(text), expected));

test('the identity of a Fluent Bit Kubernetes record: its masked log, stream, namespace, container and labels', () => {
  assert.deepEqual(identityFields(body('fluent-bit-kubernetes-record.json')), {
    log: 'ERROR: unhandled exception while serving request id=# Traceback (most recent call last): File "/srv/app/handlers.py", line #, in get_profile return profiles[user_id] KeyError: \'user_id\'',
    stream: 'stderr',
    'kubernetes.namespace_name': 'prod',
    'kubernetes.container_name': 'profile-api',
    'kubernetes.labels.app': 'profile-api',
    'kubernetes.labels.tier': 'backend',
  });
});

const fields: [string, Record<string, unknown>, Record<string, unknown>][] = [
  ['numbers are measurements, left out', { check: 'disk', used_pct: 91 }, { check: 'disk' }],
  ['timestamps, uuids, long hex and URLs left out', { at: '2025-03-13T22:10:22Z', run: '3b0e8d0c-2f4a-4e8e-9a51-6c1d7e0f9b12', sha: 'f'.repeat(40), link: 'https://x.example/1', host: 'db1' }, { host: 'db1' }],
  ['status, severity and oncall_enable left out', { title: 't', status: 'resolved', severity: 'P1', oncall_enable: false }, { title: 't' }],
  ['occurrence keys left out at any depth', { request_id: 'r1', ctx: { traceId: 't1', user: 'bob' } }, { 'ctx.user': 'bob' }],
  ['booleans kept', { canary: true }, { canary: true }],
];
for (const [name, input, expected] of fields) test(`identity fields: ${name}`, () => assert.deepEqual(identityFields(input), expected));

test('the identity ignores key order', () => {
  assert.equal(stableIdentity({ a: 'x', b: 'y' }), stableIdentity({ b: 'y', a: 'x' }));
});

const titles: [string, Record<string, unknown>, string | undefined][] = [
  ['service and first line of the message', { Logs: '\n[ERROR] boom\nstack', ServiceName: 'orders' }, 'orders: [ERROR] boom'],
  ["ECS' service.name", { message: 'boom', service: { name: 'orders' } }, 'orders: boom'],
  ['the Kubernetes app label', { log: 'boom', kubernetes: { labels: { app: 'api' } } }, 'api: boom'],
  ['a message alone', { msg: 'boom' }, 'boom'],
  ['a summary of the fields, without timestamps', { check: 'disk', server: 'db1', used: 91, time: '2025-01-01T00:00:00Z' }, 'check=disk, server=db1, used=91'],
  ['nested fields by dotted path', { probe: { target: 'api', ok: false } }, 'probe.target=api, probe.ok=false'],
  ['nothing readable', { nested: { deeper: { deepest: { gone: { x: 1 } } } } }, undefined],
];
for (const [name, input, expected] of titles) test(`derived title: ${name}`, () => assert.equal(derivedTitle(input), expected));

test('a long summary is cut to 200 characters', () => {
  const s = summaryOf(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`field_${i}`, 'value'])));
  assert.equal(s!.length, 200);
  assert.ok(s!.endsWith('…'));
});
