import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_BODY_DEPTH, splitJsonValues, textTooDeepAt, tooDeepAt } from './json-values.ts';

const cases: [string, string, string[] | undefined][] = [
  ['json_lines (NDJSON)', '{"log":"a"}\n{"log":"b"}\n', ['{"log":"a"}', '{"log":"b"}']],
  ['json_stream (concatenated)', '{"log":"a"}{"log":"b { ] \\" x"}', ['{"log":"a"}', '{"log":"b { ] \\" x"}']],
  ['CRLF and blank lines', '{"a":1}\r\n\r\n{"a":2}', ['{"a":1}', '{"a":2}']],
  ['arrays too', '[{"a":1}]\n[{"a":2}]', ['[{"a":1}]', '[{"a":2}]']],
  ['one value is not a sequence', '{"a":1}', undefined],
  ['a bare scalar is refused', '{"a":1}\n42', undefined],
  ['unbalanced', '{"a":1}\n{"a":', undefined],
  ['stray closer', '{"a":1}}', undefined],
];

for (const [name, text, expected] of cases) {
  test(`splitJsonValues: ${name}`, () => assert.deepEqual(splitJsonValues(text), expected));
}

const nest = (levels: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

test('tooDeepAt: a body up to 64 levels passes; one level more names the path', () => {
  assert.equal(MAX_BODY_DEPTH, 64);
  assert.equal(tooDeepAt(nest(64)), undefined);
  assert.equal(tooDeepAt([{ title: 'x', metadata: nest(62) }]), undefined);
  assert.equal(tooDeepAt(nest(65)), `${Array(64).fill('a').join('.')}`.slice(0, 100) + '…');
  assert.equal(tooDeepAt([{ title: 'x', metadata: nest(63) }], 64), `[0].metadata.${Array(62).fill('a').join('.')}`.slice(0, 100) + '…');
  assert.equal(tooDeepAt({ a: [[[1]]] }, 3), 'a[0][0]');
  assert.equal(tooDeepAt({ ok: [1, 2], deep: { x: { y: {} } } }, 3), 'deep.x.y');
  assert.equal(tooDeepAt([], 0), '(body)');
  for (const scalar of [1, 'x', null, true]) assert.equal(tooDeepAt(scalar, 0), undefined);
});

test('tooDeepAt: 3,000 and 100,000 levels are refused without overflowing the stack', () => {
  const deep = JSON.parse(`{"title":"x","metadata":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`);
  assert.match(tooDeepAt(deep)!, /^metadata\.a\.a\./);
  const arrays = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
  assert.match(tooDeepAt(arrays)!, /^\[0\]\[0\]/);
});

test('textTooDeepAt: finds where the text nests past the limit, ignoring brackets in strings', () => {
  assert.equal(textTooDeepAt('{"a":[1,{"b":2}]}', 3), undefined);
  assert.equal(textTooDeepAt('{"a":[1,{"b":[]}]}', 3), 13);
  assert.equal(textTooDeepAt('{"a":"[[[[{{{{","b":"\\"[[[["}', 1), undefined);
  assert.equal(textTooDeepAt('{"a":1}\n{"b":{"c":{}}}', 2), 18);
  assert.equal(textTooDeepAt(`${'['.repeat(64)}${']'.repeat(64)}`), undefined);
  assert.equal(textTooDeepAt(`${'['.repeat(65)}${']'.repeat(65)}`), 64);
  // It agrees with tooDeepAt on what it parses to.
  for (const text of ['{"x":[[[{"y":[]}]]]}', '[[],[[[]]],{"a":{"b":{}}}]']) {
    for (const limit of [1, 2, 3, 4, 5, 6]) assert.equal(textTooDeepAt(text, limit) !== undefined, tooDeepAt(JSON.parse(text), limit) !== undefined, `${text} ${limit}`);
  }
});
