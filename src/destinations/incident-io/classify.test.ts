import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SendOutcome } from '../types.ts';
import { classify, type Hints } from './classify.ts';
import type { HttpOutcome } from './http.ts';

const hints: Hints = { 401: 'wrong token', 403: 'no permission', 404: 'no such source' };
const now = Date.parse('2026-12-01T21:00:00Z');
const answer = (statusCode: number, headers: Record<string, string> = {}, body = ''): HttpOutcome => ({ ok: true, res: { statusCode, headers, body, latencyMs: 5 } });
const kind = (o: SendOutcome) => [o.kind, o.kind === 'retry' ? o.retryAfterMs : undefined];

const cases: [string, HttpOutcome, [string, number | undefined]][] = [
  ['202', answer(202), ['delivered', undefined]],
  ['429 with Retry-After 2', answer(429, { 'retry-after': '2' }), ['retry', 2000]],
  // Reported as asked: capping it is the queue's decision (delivery.max_retry_after), not the destination's.
  ['429 asking for a year', answer(429, { 'retry-after': '31536000' }), ['retry', 31_536_000_000]],
  ['429 with no Retry-After', answer(429), ['retry', undefined]],
  ['503 with Retry-After as a date', answer(503, { 'retry-after': 'Tue, 01 Dec 2026 21:00:05 GMT' }), ['retry', 5000]],
  ['500', answer(500), ['retry', undefined]],
  ['408', answer(408), ['retry', undefined]],
  ['timeout', { ok: false, error: 'timed out after 1000 ms', timeout: true, latencyMs: 1000 }, ['retry', undefined]],
  ['connection refused', { ok: false, error: 'network error: ECONNREFUSED', timeout: false, latencyMs: 1 }, ['retry', undefined]],
  ['401', answer(401), ['failed', undefined]],
  ['422', answer(422), ['failed', undefined]],
];
for (const [name, outcome, expected] of cases) {
  test(`classify: ${name} → ${expected[0]}`, () => assert.deepEqual(kind(classify(outcome, now, hints)), expected));
}

test('classify: a final answer names the field incident.io rejected and keeps its request_id', () => {
  const body = JSON.stringify({ type: 'validation_error', status: 422, request_id: 'req-1', errors: [{ code: 'is_required', message: 'is required', source: { field: 'title' } }] });
  const o = classify(answer(422, {}, body), now, hints);
  assert.equal(o.kind, 'failed');
  assert.equal(o.requestId, 'req-1');
  assert.match(o.kind === 'failed' ? o.hint : '', /title: is required/);
});
