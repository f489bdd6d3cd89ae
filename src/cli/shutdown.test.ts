import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeWithin } from './shutdown.ts';

test('a close that ends within the bound is closed, and nothing waits for the bound', async () => {
  const t0 = performance.now();
  const out = await closeWithin(() => sleep(30), 5_000);
  assert.equal(out.kind, 'closed');
  assert.ok(performance.now() - t0 < 2_000, 'answered when close ended, not at the bound');
});

test('a close slower than the bound is cut off at the bound', async () => {
  const t0 = performance.now();
  const out = await closeWithin(() => sleep(5_000, undefined, { ref: false }), 100);
  const took = performance.now() - t0;
  assert.equal(out.kind, 'timed_out');
  assert.ok(took >= 95 && took < 2_000, `answered after ${took} ms`);
});

test('a close that throws is failed, with its error', async () => {
  const boom = new Error('disk gone');
  const out = await closeWithin(() => Promise.reject(boom), 5_000);
  assert.deepEqual(out.kind === 'failed' && out.error, boom);
});
