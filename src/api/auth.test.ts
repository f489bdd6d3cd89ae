import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerToken, tokenMatches } from './auth.ts';

test('bearer parsing', () => {
  assert.equal(bearerToken('Bearer abc'), 'abc');
  assert.equal(bearerToken('bearer  abc '), 'abc');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken(undefined), undefined);
});

test('token comparison', () => {
  assert.equal(tokenMatches('secret-token', 'secret-token'), true);
  assert.equal(tokenMatches('secret-token', 'secret-tokem'), false);
  assert.equal(tokenMatches('short', 'secret-token'), false);
  assert.equal(tokenMatches(undefined, 'x'), false);
  assert.equal(tokenMatches('x', undefined), false);
});
