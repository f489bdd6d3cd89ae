import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anyTokenMatches, basicPassword, bearerToken, presentedTokens, tokenMatches } from './auth.ts';

const basic = (userPass: string) => `Basic ${Buffer.from(userPass).toString('base64')}`;

test('bearer parsing', () => {
  assert.equal(bearerToken('Bearer abc'), 'abc');
  assert.equal(bearerToken('bearer  abc '), 'abc');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken(undefined), undefined);
});

test('basic parsing: the password is the token, the user name is anything', () => {
  assert.equal(basicPassword(basic('sns:secret-token')), 'secret-token');
  assert.equal(basicPassword(basic(':secret-token')), 'secret-token');
  assert.equal(basicPassword(basic('user:pa:ss')), 'pa:ss', 'only the first colon separates the user');
  assert.equal(basicPassword(`basic   ${Buffer.from('u:p').toString('base64')}  `), 'p');
  assert.equal(basicPassword(basic('secret-token')), undefined, 'no colon: no password');
  assert.equal(basicPassword(basic('user:')), undefined, 'an empty password is none');
  assert.equal(basicPassword('Basic not base64!'), undefined);
  assert.equal(basicPassword('Bearer abc'), undefined);
  assert.equal(basicPassword(undefined), undefined);
});

test('presented tokens: bearer, basic password and ?token=, whichever are there', () => {
  assert.deepEqual(presentedTokens('Bearer a', undefined), ['a']);
  assert.deepEqual(presentedTokens(basic('u:b'), 'q'), ['b', 'q']);
  assert.deepEqual(presentedTokens(undefined, 'q'), ['q']);
  assert.deepEqual(presentedTokens(undefined, ['q1', 'q2']), [], 'a repeated ?token= counts for nothing');
  assert.deepEqual(presentedTokens(undefined, ''), []);
  assert.deepEqual(presentedTokens(undefined, undefined), []);
});

test('token comparison', () => {
  assert.equal(tokenMatches('secret-token', 'secret-token'), true);
  assert.equal(tokenMatches('secret-token', 'secret-tokem'), false);
  assert.equal(tokenMatches('short', 'secret-token'), false);
  assert.equal(tokenMatches(undefined, 'x'), false);
  assert.equal(tokenMatches('x', undefined), false);
  assert.equal(anyTokenMatches(['wrong', 'secret-token'], 'secret-token'), true);
  assert.equal(anyTokenMatches(['secret-token', 'wrong'], 'secret-token'), true);
  assert.equal(anyTokenMatches(['wrong'], 'secret-token'), false);
  assert.equal(anyTokenMatches([], 'secret-token'), false);
  assert.equal(anyTokenMatches(['secret-token'], undefined), false);
});
