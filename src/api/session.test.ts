import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cameOverTls, clearedCookie, csrfMatches, csrfToken, issueSession, readCookie, sessionCookie, SESSION_TTL_MS, verifySession } from './session.ts';

const TOKEN = 'admin-token-0123456789abcdef';
const NOW = 1_800_000_000_000;

test('a session verifies until it expires, and only under the admin token that issued it', () => {
  const s = issueSession(TOKEN, NOW);
  assert.deepEqual(verifySession(s.value, TOKEN, NOW + 1000), { ok: true, expiresAt: NOW + SESSION_TTL_MS });
  assert.deepEqual(verifySession(s.value, TOKEN, NOW + SESSION_TTL_MS), { ok: false, reason: 'expired' });
  assert.deepEqual(verifySession(s.value, 'another-admin-token-000000', NOW), { ok: false, reason: 'forged' });
  assert.ok(!s.value.includes(TOKEN));
});

test('a cookie edited in any part is refused', () => {
  const s = issueSession(TOKEN, NOW);
  const [v, exp, nonce, sig] = s.value.split('.') as [string, string, string, string];
  const later = `${v}.${Number(exp) + 3600_000}.${nonce}.${sig}`;
  assert.equal(verifySession(later, TOKEN, NOW).ok, false);
  const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
  assert.equal(verifySession(`${v}.${exp}.${nonce}.${flipped}`, TOKEN, NOW).ok, false);
  for (const bad of ['', 'v1', 'v2.1.2.3', `${s.value}x`, s.value.replace('v1', 'v0')]) assert.equal(verifySession(bad, TOKEN, NOW).ok, false, bad);
});

test('two sessions differ; the CSRF token belongs to one session', () => {
  const a = issueSession(TOKEN, NOW);
  const b = issueSession(TOKEN, NOW);
  assert.notEqual(a.value, b.value);
  assert.ok(csrfMatches(csrfToken(a.value, TOKEN), a.value, TOKEN));
  assert.ok(!csrfMatches(csrfToken(b.value, TOKEN), a.value, TOKEN));
  assert.ok(!csrfMatches(undefined, a.value, TOKEN));
  assert.ok(!csrfMatches('', a.value, TOKEN));
});

test('cookie attributes: HttpOnly, SameSite=Strict, Secure only over TLS', () => {
  const s = issueSession(TOKEN, NOW);
  const plain = sessionCookie(s, NOW, false);
  assert.match(plain, /^tocsin_session=v1\.[^;]+; Max-Age=28800; Path=\/; HttpOnly; SameSite=Strict$/);
  assert.match(sessionCookie(s, NOW, true), /; Secure$/);
  assert.match(clearedCookie(true), /^tocsin_session=; Max-Age=0; .*Secure$/);
  assert.equal(cameOverTls(false, undefined), false);
  assert.equal(cameOverTls(true, undefined), true);
  assert.equal(cameOverTls(false, 'HTTPS'), true);
  assert.equal(cameOverTls(false, 'https, http'), true);
  assert.equal(cameOverTls(false, 'http'), false);
});

test('readCookie finds one cookie among others', () => {
  assert.equal(readCookie('a=1; tocsin_session=xyz; b=2', 'tocsin_session'), 'xyz');
  assert.equal(readCookie('tocsin_sessionx=1', 'tocsin_session'), undefined);
  assert.equal(readCookie(undefined, 'tocsin_session'), undefined);
});
