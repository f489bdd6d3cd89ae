import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitJsonValues } from './json-values.ts';

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
