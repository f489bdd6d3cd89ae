/**
 * The logs body reader and the sample copy under fuzzing: whatever the text, an outcome (events that are plain
 * objects, or a problem naming where), never a throw, in time; a sample is bounded JSON without prototype keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hostileJson, hostileObject, hostileString } from '../../../test/fuzz/arbitraries.ts';
import { check, runs } from '../../../test/fuzz/runs.ts';
import { MAX_SAMPLE_BYTES, sampleOf } from '../../logs/rules/sample.ts';
import { parseLogBody } from './body.ts';

const asText = fc.oneof(
  hostileString,
  hostileJson(4).map((v) => JSON.stringify(v) ?? ''),
  fc.array(hostileObject(3), { maxLength: 6 }).map((xs) => xs.map((x) => JSON.stringify(x)).join('\n')),
  fc.array(hostileJson(3), { maxLength: 6 }).map((xs) => JSON.stringify({ batch: xs })),
);

test('any text: events that are objects (with the skipped counted), or a problem; never a throw', async () => {
  await check(
    fc.property(asText, (text) => {
      const started = performance.now();
      const r = parseLogBody(text);
      assert.ok(performance.now() - started < 1000);
      if (!r.ok) return assert.ok(r.problems.length > 0 && r.problems[0]!.field.length > 0);
      for (const e of r.events) assert.ok(e !== null && typeof e === 'object' && !Array.isArray(e));
      assert.ok(r.skipped >= 0);
    }),
    runs(500),
  );
});

test('any event: its sample is bounded JSON with no prototype keys', async () => {
  await check(
    fc.property(hostileObject(5), (event) => {
      const s = sampleOf(event as Record<string, unknown>);
      const text = JSON.stringify(s);
      assert.ok(text.length <= MAX_SAMPLE_BYTES + 200, `${text.length} bytes`);
      assert.doesNotMatch(text, /"(__proto__|constructor|prototype)":/);
      assert.equal(Object.getPrototypeOf(s), Object.prototype);
    }),
    runs(500),
  );
});
