import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOutage, MAX_PROBE_PAUSE_MS, OutageGate } from './outage.ts';
import type { SendOutcome } from '../destinations/types.ts';

const refused: SendOutcome = { kind: 'retry', error: 'connect ECONNREFUSED' };
const s503: SendOutcome = { kind: 'retry', error: 'server error 503', statusCode: 503 };
const s429: SendOutcome = { kind: 'retry', error: 'rate limited', statusCode: 429 };
const ok: SendOutcome = { kind: 'delivered', statusCode: 202 };
const bad: SendOutcome = { kind: 'failed', error: 'HTTP 422', hint: 'fix it', statusCode: 422 };
const gate = (capMs = 300_000) => new OutageGate(() => ({ baseMs: 1000, capMs }), () => 1);

describe('OutageGate', () => {
  it('network errors, timeouts (408) and 5xx are an outage; 429 and answers are not', () => {
    assert.deepEqual([refused, s503, { ...s503, statusCode: 408 }, s429, ok, bad].map(isOutage), [true, true, true, false, false, false]);
  });

  it('the first failure closes the destination; each failed probe doubles the pause, capped at 30 s', () => {
    const g = gate();
    const first = g.observe(refused, 0, 10);
    assert.deepEqual(first, { kind: 'down', first: true, pauseMs: 1000 });
    assert.ok(g.down);
    const pauses = [1, 2, 3, 4, 5, 6, 7].map((i) => (g.observe(s503, 10 + i, 20 + i) as { pauseMs: number }).pauseMs);
    assert.deepEqual(pauses, [2000, 4000, 8000, 16_000, MAX_PROBE_PAUSE_MS, MAX_PROBE_PAUSE_MS, MAX_PROBE_PAUSE_MS]);
  });

  it('a smaller retry_max_delay caps the pause instead', () => {
    const g = gate(2000);
    for (let i = 0; i < 5; i++) g.observe(refused, 100 + i, 100 + i);
    assert.equal((g.observe(refused, 200, 200) as { pauseMs: number }).pauseMs, 2000);
  });

  it('sends in flight when it went down count once, not once each', () => {
    const g = gate();
    g.observe(refused, 5, 100);
    for (let i = 0; i < 31; i++) assert.deepEqual(g.observe(refused, 6 + i, 101 + i), { kind: 'none' });
    assert.equal((g.observe(refused, 200, 300) as { pauseMs: number }).pauseMs, 2000);
  });

  it('any answer that is not an outage opens it again, a 4xx included; a 429 does not', () => {
    const g = gate();
    g.observe(refused, 0, 1000);
    assert.deepEqual(g.observe(s429, 1500, 1600), { kind: 'none' });
    assert.ok(g.down);
    assert.deepEqual(g.observe(bad, 4000, 5000), { kind: 'up', downForMs: 4000 });
    assert.ok(!g.down);
    assert.deepEqual(g.observe(ok, 6000, 6001), { kind: 'none' });
    assert.deepEqual(g.observe(refused, 7000, 7001), { kind: 'down', first: true, pauseMs: 1000 }, 'the pause starts over');
  });
});
