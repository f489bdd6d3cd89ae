/**
 * Property tests: whatever the string, the parser answers (never throws) with a query or an error whose column lies
 * within the query (one past the end is allowed: "expected a value" at the end). A query that compiles evaluates any
 * event without throwing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileLql } from './compile.ts';
import { explainLql } from './explain.ts';

/** Strings made of LQL's own pieces find the parser's corners far more often than uniform noise. */
const piece = fc.constantFrom('m.', 'metadata.', 'level', ':', ':>', ':>=', ':<', ':<=', ':~', ':@>', ':@>~', '..', 'NULL', 'AND', 'OR', '(', ')', '-', '~', '"', '\\', ' ', '.', '5', '-3', 'x', 'é', '🚨', '[', ']', '+', '*', '{2,}', '(?i)', '__proto__');
const lqlish = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));
const anyString = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 }), lqlish);

const event = fc.oneof(
  fc.jsonValue().map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : { message: JSON.stringify(v), metadata: { level: v } })),
  fc.record({ message: fc.string(), metadata: fc.dictionary(fc.constantFrom('level', 'x', '__proto__', 'constructor'), fc.jsonValue()) }),
);

test('the parser never throws and every error has a column inside the query', () => {
  fc.assert(
    fc.property(anyString, (q) => {
      const c = compileLql(q);
      if (!c.ok) {
        const len = [...q].length;
        assert.ok(Number.isInteger(c.column) && c.column >= 1 && c.column <= len + 1, `column ${c.column} outside 1..${len + 1} for ${JSON.stringify(q)}`);
        assert.ok(c.message.length > 0);
      }
    }),
    { numRuns: 3000 },
  );
});

test('a compiled query evaluates any event without throwing, and explain agrees with it', () => {
  fc.assert(
    fc.property(lqlish, fc.array(event, { maxLength: 5 }), (q, events) => {
      const c = compileLql(q);
      if (!c.ok) return;
      for (const e of events) {
        const m = c.predicate(e as Record<string, unknown>);
        const x = explainLql(q, e as Record<string, unknown>);
        assert.ok(x.ok);
        assert.equal(x.matched, m);
      }
    }),
    { numRuns: 2000 },
  );
});
