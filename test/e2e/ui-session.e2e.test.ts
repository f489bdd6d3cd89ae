/**
 * Web UI sessions against a running gateway: a wrong token and an expired or forged session are refused (in Chromium
 * and over HTTP), a change without the CSRF token is refused, logout ends the session in the browser, the cookie's
 * attributes follow the connection (Secure behind TLS), and a login from another site's page is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { issueSession, SESSION_TTL_MS } from '../../src/api/session.ts';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ADMIN_TOKEN, freePort, http, startTocsin, tempDir, writeConfig } from '../harness.ts';
import { axeViolations, launch, logIn, newPage, screenshot } from './ui-browser.ts';
import { startFixture, type Fixture } from './ui-fixture.ts';

let fx: Fixture;
let browser: Browser;

before(async () => {
  fx = await startFixture();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await fx?.close();
});

/** Logs in over HTTP: the Set-Cookie line, the cookie's value and the CSRF token. */
async function session(headers: Record<string, string> = {}) {
  const r = await http('POST', `${fx.tocsin.url}/api/v1/session`, { body: { token: ADMIN_TOKEN }, headers });
  assert.equal(r.status, 200, r.text);
  const setCookie = String(r.headers['set-cookie']);
  const value = /^tocsin_session=([^;]+)/.exec(setCookie)![1]!;
  return { setCookie, cookie: `tocsin_session=${value}`, csrf: r.body.csrf_token as string, body: r.body };
}

const firingAlertId = async () => (await http('GET', `${fx.tocsin.url}/api/v1/alerts?status=firing`, { token: ADMIN_TOKEN })).body.alerts[0].id as string;

test('a wrong admin token is refused in the browser, with no session opened', async () => {
  const { context, page } = await newPage(browser);
  try {
    await logIn(page, fx.tocsin.url, 'not-the-admin-token-000000');
    await page.getByText('That is not the admin token.').waitFor();
    assert.equal((await context.cookies()).length, 0);
    assert.deepEqual(await axeViolations(page), [], 'axe on the login page');
    await screenshot(page, 'login-refused');
    const r = await http('POST', `${fx.tocsin.url}/api/v1/session`, { body: { token: 'not-the-admin-token-000000' } });
    assert.equal(r.status, 401);
    assert.equal(r.headers['set-cookie'], undefined);
  } finally {
    await context.close();
  }
});

test('an expired session is refused: the page asks to log in again, the API answers 401 session_expired', async () => {
  const { context, page } = await newPage(browser);
  try {
    await logIn(page, fx.tocsin.url, ADMIN_TOKEN);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    // A cookie the gateway itself signed, whose time is up: only its expiry makes it invalid.
    const expired = issueSession(ADMIN_TOKEN, Date.now() - SESSION_TTL_MS - 1000).value;
    await context.addCookies([{ name: 'tocsin_session', value: expired, url: fx.tocsin.url, httpOnly: true, sameSite: 'Strict' }]);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts', exact: true }).click();
    await page.getByText('Your session has expired: log in again.').waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).isVisible(), false);
    await page.reload();
    await page.getByText('Your session has expired: log in again.').waitFor();
    const r = await http('GET', `${fx.tocsin.url}/api/v1/alerts`, { headers: { cookie: `tocsin_session=${expired}` } });
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'session_expired');
    // Logging in again works.
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
  } finally {
    await context.close();
  }
});

test('a forged or edited session cookie is refused', async () => {
  const other = issueSession('another-admin-token-0123456789', Date.now()).value;
  const { cookie } = await session();
  const edited = cookie.replace(/\.(\d+)\./, (_m, exp: string) => `.${Number(exp) + 1000}.`);
  for (const c of [`tocsin_session=${other}`, edited, 'tocsin_session=v1.1.2.3']) {
    const r = await http('GET', `${fx.tocsin.url}/api/v1/alerts`, { headers: { cookie: c } });
    assert.equal(r.status, 401, c);
  }
});

test('CSRF: a change with the session cookie but without the CSRF token (or with another session\'s) is refused; with it, it works', async () => {
  const id = await firingAlertId();
  const a = await session();
  const b = await session();
  for (const headers of [{ cookie: a.cookie }, { cookie: a.cookie, 'x-csrf-token': b.csrf }, { cookie: a.cookie, 'x-csrf-token': '' }] as Record<string, string>[]) {
    const r = await http('POST', `${fx.tocsin.url}/api/v1/alerts/${id}/acknowledge`, { headers, body: {} });
    assert.equal(r.status, 403, JSON.stringify(headers));
    assert.equal(r.body.error.code, 'csrf');
  }
  for (const [method, path] of [['POST', '/deliveries/retry'], ['POST', '/destinations/oncall/test'], ['DELETE', '/session']] as const) {
    assert.equal((await http(method, `${fx.tocsin.url}/api/v1${path}`, { headers: { cookie: a.cookie }, body: {} })).status, 403, path);
  }
  assert.equal((await http('GET', `${fx.tocsin.url}/api/v1/alerts/${id}`, { token: ADMIN_TOKEN })).body.alert.state, 'firing', 'nothing changed');

  // The same from the page itself: a fetch without the header is refused.
  const { context, page } = await newPage(browser);
  try {
    await logIn(page, fx.tocsin.url, ADMIN_TOKEN);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const status = await page.evaluate<number>(`fetch('/api/v1/alerts/${id}/acknowledge', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => r.status)`);
    assert.equal(status, 403);
  } finally {
    await context.close();
  }
  const ok = await http('POST', `${fx.tocsin.url}/api/v1/alerts/${id}/acknowledge`, { headers: { cookie: a.cookie, 'x-csrf-token': a.csrf }, body: {} });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.alert.state, 'acknowledged');
});

test('logout: the cookie is cleared and the page is back at the login', async () => {
  const { context, page } = await newPage(browser);
  try {
    await logIn(page, fx.tocsin.url, ADMIN_TOKEN);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are logged out.').waitFor();
    assert.deepEqual((await context.cookies()).filter((c) => c.name === 'tocsin_session'), []);
    await page.goto(`${fx.tocsin.url}/ui/alerts`);
    await page.getByLabel('Admin token').waitFor();
    assert.equal((await http('GET', `${page.url().replace(/\/ui\/.*/, '')}/api/v1/session`)).status, 401);
  } finally {
    await context.close();
  }
});

test('cookie attributes: HttpOnly, SameSite=Strict, Max-Age of the session; Secure when the request came over TLS', async () => {
  const plain = await session();
  assert.match(plain.setCookie, /^tocsin_session=v1\.[^;]+; Max-Age=28800; Path=\/; HttpOnly; SameSite=Strict$/);
  const behindTls = await session({ 'x-forwarded-proto': 'https' });
  assert.match(behindTls.setCookie, /; HttpOnly; SameSite=Strict; Secure$/);
  assert.ok(Date.parse(plain.body.expires_at) > Date.now() + SESSION_TTL_MS - 60_000);
  const me = await http('GET', `${fx.tocsin.url}/api/v1/session`, { headers: { cookie: plain.cookie } });
  assert.deepEqual(me.body, { kind: 'session', expires_at: plain.body.expires_at, csrf_token: plain.csrf });
  const out = await http('DELETE', `${fx.tocsin.url}/api/v1/session`, { headers: { cookie: plain.cookie, 'x-csrf-token': plain.csrf } });
  assert.equal(out.status, 200);
  assert.match(String(out.headers['set-cookie']), /^tocsin_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict$/);
});

test('a login posted from another site\'s page is refused; a bearer caller needs no CSRF token', async () => {
  const r = await http('POST', `${fx.tocsin.url}/api/v1/session`, { body: { token: ADMIN_TOKEN }, headers: { origin: 'https://evil.example' } });
  assert.equal(r.status, 403);
  assert.equal(r.headers['set-cookie'], undefined);
  const form = await http('POST', `${fx.tocsin.url}/api/v1/session`, { raw: `token=${ADMIN_TOKEN}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(form.status, 415, 'an HTML form cannot log in: JSON only');
  const id = await firingAlertId();
  const bearer = await http('POST', `${fx.tocsin.url}/api/v1/alerts/${id}/acknowledge`, { token: ADMIN_TOKEN, body: {} });
  assert.equal(bearer.status, 200);
  // A wrong bearer token is refused even with a valid session cookie beside it: the header decides.
  const { cookie } = await session();
  const mixed = await http('GET', `${fx.tocsin.url}/api/v1/alerts`, { headers: { cookie, authorization: 'Bearer not-the-admin-token' } });
  assert.equal(mixed.status, 401);
});

test('a session opened on one instance works on another with the same config: nothing is kept in memory', async () => {
  const config = parse(readFileSync(fx.tocsin.configPath, 'utf8')) as Record<string, unknown>;
  const port = await freePort();
  const dir = tempDir('tocsin-ui-second-');
  const second = await startTocsin(writeConfig(dir, { ...config, listen: `127.0.0.1:${port}`, storage: { sqlite: `${dir}/tocsin.db` } }), { port });
  try {
    const { cookie, csrf } = await session();
    const r = await http('GET', `${second.url}/api/v1/session`, { headers: { cookie } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.csrf_token, csrf, 'the same CSRF token: derived from the session and the shared key');
    assert.equal((await http('POST', `${second.url}/api/v1/routes/test`, { headers: { cookie, 'x-csrf-token': csrf }, body: { labels: { team: 'payments' } } })).status, 200);
    assert.equal((await http('POST', `${second.url}/api/v1/routes/test`, { headers: { cookie }, body: { labels: {} } })).status, 403);
  } finally {
    await second.kill();
  }
});
