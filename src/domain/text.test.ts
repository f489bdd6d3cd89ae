import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wellFormed, wellFormedJson } from './text.ts';

test('text both databases store alike: lone surrogates and NUL become U+FFFD, anything else is untouched', () => {
  assert.equal(wellFormed('cut \uD83D'), 'cut \uFFFD');
  assert.equal(wellFormed('a\u0000b\u0000'), 'a\uFFFDb\uFFFD');
  const same = 'plain ☃ 🚨';
  assert.equal(wellFormed(same), same);
  const meta = { ok: 'fine', nested: ['x\u0000'] };
  assert.deepEqual(wellFormedJson(meta), { ok: 'fine', nested: ['x\uFFFD'] });
  const clean = { a: ['b'] };
  assert.equal(wellFormedJson(clean), clean, 'returns the value itself when nothing changed');
});
