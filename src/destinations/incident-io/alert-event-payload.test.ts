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
    metadata: { environment: 'production', service: 'orders', team: ['payments'], source: 'app' },
  });
  assert.ok(!('description' in body) && !('source_url' in body));
});

test('severity, description and source_url when present; alert metadata wins over configured', () => {
  const body = buildAlertEvent(p({ severity: 'critical', description: 'd', sourceUrl: 'https://x', metadata: { environment: 'staging' } }), { environment: 'production' });
  assert.equal(body.description, 'd');
  assert.equal(body.source_url, 'https://x');
  assert.deepEqual(body.metadata, { environment: 'staging', source: 'app', severity: 'critical' });
});

test('oversize metadata is cut under 512 KB and marked', () => {
  const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, text: 'x'.repeat(500) }));
  const body = buildAlertEvent(p({ metadata: { rows, note: 'y'.repeat(2_000_000) } }), {});
  const size = Buffer.byteLength(JSON.stringify(body));
  assert.ok(size < MAX_BODY_BYTES, `size ${size}`);
  assert.equal(body.metadata!.tocsin_truncated, true);
  assert.equal(body.metadata!.source, 'app');
});

test('a small payload is never marked truncated', () => {
  assert.equal(buildAlertEvent(p(), {}).metadata!.tocsin_truncated, undefined);
});
