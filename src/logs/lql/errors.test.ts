/** Parse errors: each names the problem and the 1-based column of the offending character. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLql, describeLqlError } from './compile.ts';
import { MAX_DEPTH, MAX_QUERY_LENGTH } from './parser.ts';
import { compileRegex } from './regex.ts';

const cases: [query: string, column: number, message: RegExp][] = [
  ['', 1, /the query is empty/],
  ['   ', 1, /the query is empty/],
  ['m.level:', 9, /^expected a value after "m\.level:"$/],
  ['m.level:error m.service:', 25, /^expected a value after "m\.service:"$/],
  ['m.level: error', 9, /expected a value after "m\.level:"/],
  ['(m.level:)', 10, /expected a value after "m\.level:"/],
  ['m.status:>', 11, /expected a value after "m\.status:>"/],
  ['m.status:>=', 12, /expected a value after "m\.status:>="/],
  ['m.status:<= 5', 12, /expected a value after "m\.status:<="/],
  ['m.tags:@>', 10, /expected a value after "m\.tags:@>"/],
  ['m.level:~', 10, /expected a regular expression after "m\.level:~"/],
  ['m.tags:@>~', 11, /expected a regular expression after "m\.tags:@>~"/],
  ['~', 2, /expected a regular expression after "~"/],
  ['a ~ b', 4, /expected a regular expression after "~"/],
  ['~""', 2, /expected a regular expression/],
  ['m.level', 8, /expected ":" and a value after "m\.level".*quote it: "m\.level"/],
  ['m.level.:x', 9, /expected a field name after "m\.level\."/],
  ['m.:x', 3, /expected a field name after "m\."/],
  ['metadata.', 10, /expected a field name after "metadata\."/],
  ['m.status:5..', 10, /a range needs a number on each side of "\.\.", e\.g\. m\.status:500\.\.599/],
  ['m.status:a..b', 10, /a range needs a number/],
  ['m.status:599..500', 10, /empty range: 599 is above 500/],
  ['~(', 2, /invalid regular expression: Unterminated group/],
  ['m.level:~[a-', 10, /invalid regular expression/],
  ['a ~"(a+)+$"', 4, /repeats a group that is itself only repetition/],
  ['~(\\w+\\s?)*$', 2, /repeats a group/],
  ['"unclosed', 1, /this quote is never closed/],
  ['a "b', 3, /this quote is never closed/],
  ['m.msg:"two words', 7, /this quote is never closed/],
  ['"a"b', 4, /expected a space after the closing quote/],
  ['""', 1, /empty phrase/],
  ['(a b', 1, /this "\(" is never closed/],
  ['a (b (c)', 3, /this "\(" is never closed/],
  ['(', 1, /this "\(" is never closed/],
  ['()', 2, /empty parentheses/],
  ['a )', 3, /unexpected "\)": no "\(" to close/],
  ['a) b', 2, /unexpected "\)"/],
  ['- a', 2, /expected a term right after "-"/],
  ['a -', 4, /expected a term right after "-"/],
  ['-)', 2, /expected a term right after "-"/],
  ['(a -)', 5, /expected a term right after "-"/],
  ['OR a', 1, /"OR" needs a term on each side/],
  ['a OR', 3, /"OR" needs a term on each side/],
  ['a OR OR b', 3, /"OR" needs a term on each side/],
  ['a OR )', 3, /"OR" needs a term on each side/],
  ['AND a', 1, /"AND" needs a term on each side/],
  ['a AND', 3, /"AND" needs a term on each side/],
  ['a AND OR b', 3, /"AND" needs a term on each side/],
  ['a AND AND b', 3, /"AND" needs a term on each side/],
  ['(a OR)', 4, /"OR" needs a term on each side/],
  // columns count characters (code points), not bytes or UTF-16 units
  ['ünïcödé m.x:', 13, /expected a value after "m\.x:"/],
  ['🚨🚨 m.x:', 8, /expected a value after "m\.x:"/],
];

for (const [query, column, message] of cases) {
  test(`${JSON.stringify(query)} → column ${column}`, () => {
    const c = compileLql(query);
    assert.equal(c.ok, false);
    if (c.ok) return;
    assert.match(c.message, message);
    assert.equal(c.column, column, c.message);
  });
}

test('a rule error names the rule and the column', () => {
  const c = compileLql('m.level:error m.service:');
  assert.ok(!c.ok);
  assert.equal(describeLqlError('payment-errors', c), 'rule "payment-errors": column 25: expected a value after "m.service:"');
});

test(`a query longer than ${MAX_QUERY_LENGTH} characters is refused before parsing`, () => {
  const c = compileLql('a '.repeat(MAX_QUERY_LENGTH / 2) + 'b');
  assert.ok(!c.ok);
  assert.equal(c.column, MAX_QUERY_LENGTH + 1);
  assert.match(c.message, /longer than 4096 characters/);
  assert.ok(compileLql('a '.repeat(MAX_QUERY_LENGTH / 2 - 1) + 'b').ok);
});

test(`nesting deeper than ${MAX_DEPTH} is refused, by parentheses or negations`, () => {
  assert.ok(compileLql(`${'('.repeat(MAX_DEPTH)}a${')'.repeat(MAX_DEPTH)}`).ok);
  const deep = compileLql(`${'('.repeat(MAX_DEPTH + 1)}a${')'.repeat(MAX_DEPTH + 1)}`);
  assert.deepEqual(deep, { ok: false, column: MAX_DEPTH + 1, message: `the query is nested deeper than ${MAX_DEPTH} levels` });
  assert.ok(compileLql(`${'-'.repeat(MAX_DEPTH)}a`).ok);
  const negs = compileLql(`${'-'.repeat(MAX_DEPTH + 1)}a`);
  assert.ok(!negs.ok);
  assert.equal(negs.column, MAX_DEPTH + 1);
  // a long flat chain is not nesting: it parses without recursion
  assert.ok(compileLql(Array.from({ length: 400 }, (_, i) => `w${i}`).join(' OR ')).ok);
});

const regexCases: [source: string, ok: boolean][] = [
  ['(a+)+', false],
  ['(a*)*', false],
  ['(a+)*b', false],
  ['(x+x+)+y', false],
  ['(\\w+\\s?)*$', false],
  ['((a+))+', false],
  ['(?:a+){2,}', false],
  ['(a|b+)+', false],
  ['([a-z]+\\.)+com', true], // a separator makes the repetition unambiguous
  ['(\\d{1,3}\\.){3}\\d{1,3}', true], // bounded outer repetition
  ['(.*a){20}', true],
  ['(ab)+', true],
  ['(a+)', true],
  ['a+b+', true],
  ['(?=a+)+', true],
  ['[(a+)+]', true], // inside a class nothing is a group
  ['\\(a+\\)+', true],
  ['(?i)payment', true],
];
for (const [source, ok] of regexCases) {
  test(`regex ${source} → ${ok ? 'accepted' : 'refused as nested repetition'}`, () => {
    const r = compileRegex(source);
    assert.equal(r.ok, ok, r.ok ? '' : r.message);
  });
}

test('(?i) at the start makes the regex case-insensitive', () => {
  const r = compileRegex('(?i)^err');
  assert.ok(r.ok);
  assert.equal(r.re.flags, 'i');
  assert.ok(r.re.test('ERROR'));
});
