/**
 * Property tests: whatever the string, the parser answers (never throws) with a query or an error whose column lies
 * within the query (one past the end is allowed: "expected a value" at the end). A query that compiles evaluates any
 * event without throwing; a rule set of such queries matches exactly the rules whose own predicate matches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileLql } from './compile.ts';
import { compileRuleSet } from './ruleset.ts';
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

/** Valid queries over a small vocabulary, so that events often match some and miss others. */
const term = fc.oneof(
  fc.constantFrom('error', '"time out"', '~^GET', '~(?i)fail', 'm.level:error', 'm.level:"error"', 'm.level:warn', 'm.status:500', 'm.status:"500"', 'm.status:>=500', 'm.status:400..499', 'm.ok:true', 'm.tags:@>a', 'm.tags:@>~^b', 'm.x:NULL', 'm.level:~^e', 'm.s:500', 'm.s:abc'),
  fc.constantFrom('level', 'status', 's', 'x').map((f) => `m.${f}:abc`),
);
const validQuery: fc.Arbitrary<string> = fc.letrec<{ q: string }>((tie) => ({
  q: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    term,
    fc.tuple(fc.constantFrom('', '-'), term).map(([n, t]) => n + t),
    fc.tuple(tie('q'), fc.constantFrom(' ', ' AND ', ' OR '), tie('q')).map(([a, op, b]) => `${a}${op}${b}`),
    tie('q').map((q) => `-(${q})`),
    tie('q').map((q) => `(${q})`),
  ),
})).q;
const scalar = fc.oneof(fc.constantFrom('error', 'warn', 'abc', '500', '450', 'true', 'a', 'b1'), fc.constantFrom(500, 450, 0, true, false, null), fc.constant(['a', 'b2']));
const smallEvent = fc.record(
  { message: fc.constantFrom('GET /x error', 'POST fail', 'Time Out', ''), level: scalar, status: scalar, s: scalar, ok: scalar, tags: scalar, x: scalar },
  { requiredKeys: ['message'] },
).chain((e) => fc.boolean().map((nest) => (nest ? { event_message: e.message, metadata: { ...e, message: undefined } } : e)));

test('a rule set matches exactly the rules whose own predicate matches the event', () => {
  fc.assert(
    fc.property(fc.array(validQuery, { minLength: 1, maxLength: 12 }), fc.array(smallEvent, { minLength: 1, maxLength: 8 }), (queries, events) => {
      const compiled = queries.map((q) => compileLql(q));
      for (const c of compiled) assert.ok(c.ok, c.ok ? '' : c.message);
      const set = compileRuleSet(queries);
      for (const e of events) {
        const expected = compiled.flatMap((c, i) => (c.ok && c.predicate(e) ? [i] : []));
        assert.deepEqual(set(e), expected, JSON.stringify(e));
      }
    }),
    { numRuns: 1000 },
  );
});
