import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryPayload } from '../types.ts';
import { buildAlertEvent } from './alert-event-payload.ts';
import { MAX_BODY_BYTES } from './contract.ts';

const p = (over: Partial<DeliveryPayload> = {}): DeliveryPayload => ({
  alertId: '01J',
  source: 'app',
  dedupKey: 'orders-5xx',
  externalKey: 'app:orders-5xx',
  episode: 1,
  status: 'firing',
  title: 'Orders 5xx',
  metadata: { service: 'orders', team: ['payments'] },
  at: 0,
  ...over,
});

test('exactly the schema keys; optional ones left out, never null', () => {
  const body = buildAlertEvent(p(), { environment: 'production' });
  assert.deepEqual(body, {
    title: 'Orders 5xx',
    status: 'firing',
    deduplication_key: 'app:orders-5xx',
    metadata: { environment: 'production', service: 'orders', team: ['payments'], source: 'app', tocsin_source: 'app' },
  });
  assert.ok(!('description' in body) && !('source_url' in body));
});

test('severity, description and source_url when present; alert metadata wins over configured', () => {
  const body = buildAlertEvent(p({ severity: 'critical', description: 'd', sourceUrl: 'https://x', metadata: { environment: 'staging' } }), { environment: 'production' });
  assert.equal(body.description, 'd');
  assert.equal(body.source_url, 'https://x');
  assert.deepEqual(body.metadata, { environment: 'staging', source: 'app', severity: 'critical', tocsin_source: 'app', tocsin_severity: 'critical' });
});

// Who wins each metadata key: the sender, then the destination's configured metadata, then tocsin's additions.
const merges: [string, Partial<DeliveryPayload>, Record<string, unknown>, Record<string, unknown>][] = [
  ['nothing set: tocsin fills source and severity', { severity: 'error', metadata: {} }, {}, { source: 'app', severity: 'error', tocsin_source: 'app', tocsin_severity: 'error' }],
  ['no severity: no severity keys at all', { metadata: {} }, {}, { source: 'app', tocsin_source: 'app' }],
  [
    "the sender's source and severity are sent unchanged",
    { severity: 'critical', metadata: { source: 'datadog', severity: 'P1' } },
    {},
    { source: 'datadog', severity: 'P1', tocsin_source: 'app', tocsin_severity: 'critical' },
  ],
  [
    "a sender's key of any type is never replaced (null, object)",
    { severity: 'warning', metadata: { source: null, severity: { level: 3 } } },
    {},
    { source: null, severity: { level: 3 }, tocsin_source: 'app', tocsin_severity: 'warning' },
  ],
  [
    'configured metadata fills gaps but never replaces a sender key',
    { metadata: { environment: 'staging', service: 'orders' } },
    { environment: 'production', region: 'eu' },
    { environment: 'staging', region: 'eu', service: 'orders', source: 'app', tocsin_source: 'app' },
  ],
  ['configured metadata wins over tocsin\'s fill-in (an operator\'s explicit choice)', { metadata: {} }, { source: 'gateway-eu' }, { source: 'gateway-eu', tocsin_source: 'app' }],
  [
    "even tocsin_* names belong to a sender that uses them",
    { severity: 'info', metadata: { tocsin_source: 'upstream-tocsin', tocsin_severity: 'critical' } },
    {},
    { source: 'app', severity: 'info', tocsin_source: 'upstream-tocsin', tocsin_severity: 'critical' },
  ],
];
for (const [name, over, configured, expected] of merges) {
  test(`metadata merge: ${name}`, () => {
    const before = structuredClone(over.metadata);
    assert.deepEqual(buildAlertEvent(p(over), configured as never).metadata, expected);
    assert.deepEqual(over.metadata, before, 'the alert\'s own metadata object is not modified');
  });
}

test('oversize metadata is cut under 512 KB and marked', () => {
  const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, text: 'x'.repeat(500) }));
  const body = buildAlertEvent(p({ metadata: { rows, note: 'y'.repeat(2_000_000) } }), {});
  const size = Buffer.byteLength(JSON.stringify(body));
  assert.ok(size < MAX_BODY_BYTES, `size ${size}`);
  assert.equal(body.metadata!.tocsin_truncated, true);
  assert.equal(body.metadata!.source, 'app');
  assert.equal(body.metadata!.tocsin_source, 'app');
});

test("a cut keeps the sender's source and severity, and tocsin's own keys", () => {
  const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, text: 'x'.repeat(500) }));
  const body = buildAlertEvent(p({ severity: 'error', metadata: { source: 'sentry', severity: 'fatal', rows } }), {});
  assert.ok(Buffer.byteLength(JSON.stringify(body)) < MAX_BODY_BYTES);
  assert.deepEqual([body.metadata!.source, body.metadata!.severity, body.metadata!.tocsin_source, body.metadata!.tocsin_severity, body.metadata!.tocsin_truncated], ['sentry', 'fatal', 'app', 'error', true]);
});

test("the last resort (metadata still too large once capped) keeps only the routing keys, with the sender's values", () => {
  // 20^4 leaves of 300 chars: still ≈ 33 MB after every cap step, so only the last resort fits.
  let deep: unknown = Array(20).fill('y'.repeat(300));
  for (let i = 0; i < 3; i++) deep = Array(20).fill(deep);
  const body = buildAlertEvent(p({ severity: 'warning', metadata: { source: 'sentry', deep: deep as never } }), { environment: 'production' });
  assert.deepEqual(body.metadata, { source: 'sentry', tocsin_source: 'app', severity: 'warning', tocsin_severity: 'warning', tocsin_truncated: true });
});

test('a small payload is never marked truncated', () => {
  assert.equal(buildAlertEvent(p(), {}).metadata!.tocsin_truncated, undefined);
});
