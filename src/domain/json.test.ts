import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringifyWith } from './json.ts';

test('stringifyWith reads back as the object with the key set', () => {
  const metadata = { service: 'api', nested: { a: [1, 'two', null] }, 'quote"key': 'line\nbreak' };
  for (const value of [{}, { title: 'T', n: 1 }, { description: 'd', skipped: undefined }]) {
    const out = stringifyWith(value, 'metadata', JSON.stringify(metadata));
    assert.deepEqual(JSON.parse(out), { ...JSON.parse(JSON.stringify(value)), metadata });
  }
});

test('stringifyWith escapes the key', () => {
  assert.deepEqual(JSON.parse(stringifyWith({ a: 1 }, 'k"ey', '[]')), { a: 1, 'k"ey': [] });
});
