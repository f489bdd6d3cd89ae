/**
 * The web UI in a real Chromium against a running gateway and the emulator: every page renders real data, every
 * action works, axe finds no serious violation, and no secret reaches the browser. Screenshots go to test-output/ui/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN, http, waitFor } from '../harness.ts';
import { axeViolations, launch, logIn, newPage, pageSteps, screenshot, type Seen } from './ui-browser.ts';
import { startFixture, type Fixture } from './ui-fixture.ts';

let fx: Fixture;
let browser: Browser;
let page: Page;
let seen: Seen;
const api = (path: string) => http('GET', `${fx.tocsin.url}/api/v1${path}`, { token: ADMIN_TOKEN });

before(async () => {
  fx = await startFixture();
  browser = await launch();
  ({ page, seen } = await newPage(browser));
});
after(async () => {
  await browser?.close();
  await fx?.close();
});

/** Renders, has no console error, passes axe, and is photographed; the main navigation. */
const { checkPage, nav } = pageSteps(() => ({ page, seen }));

test('log in with the admin token: the overview shows alerts by state and source, destinations, senders and storage', async () => {
  await logIn(page, fx.tocsin.url, ADMIN_TOKEN);
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  const main = page.locator('main');
  await main.getByText('firing alerts').waitFor();
  const text = await main.innerText();
  assert.match(text, /3\s+firing alerts/);
  assert.match(text, /1\s+resolved alerts/);
  assert.match(text, /oncall/);
  assert.match(text, /broken/);
  assert.match(text, /\(this instance\)/, 'the sender of each destination, from GET /api/v1/cluster');
  assert.match(text, /SQLite\s+ok\s+takes writes/);
  assert.ok(await page.locator('svg.chart[aria-label*="oncall, last 24 hours"]').count(), 'a chart per destination');
  assert.match((await page.locator('svg.chart[aria-label*="broken"]').getAttribute('aria-label'))!, /0 delivered, [1-9]\d* failed/);
  const cookie = (await page.context().cookies()).find((c) => c.name === 'tocsin_session')!;
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(await page.evaluate<string>('document.cookie'), '', 'the session cookie is out of reach of scripts');
  await checkPage('overview');
});

test('alerts: filter by state, source, severity, label and text; markup in a title stays text', async () => {
  await nav('Alerts');
  const rows = () => page.locator('main tbody tr').allInnerTexts();
  await page.locator('main tbody tr').first().waitFor();
  assert.equal((await rows()).length, 4);
  assert.ok((await rows()).some((r) => r.includes('<img src=x onerror=alert(1)> markup in a title')));
  await page.getByLabel('Label').fill('team=payments');
  await page.getByRole('button', { name: 'Filter' }).click();
  await waitFor('the label filter', async () => (await rows()).length === 1 || undefined);
  assert.match((await rows())[0]!, /Orders API 5xx above 2%/);
  assert.match(page.url(), /label=team%3Dpayments/);
  await page.getByLabel('Label').fill('team');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText(/Could not read the alerts: .*give the label as name=value/).waitFor();
  await page.getByLabel('Label').fill('');
  await page.getByLabel('State').selectOption('resolved');
  await page.getByRole('button', { name: 'Filter' }).click();
  await waitFor('the state filter', async () => ((await rows()).length === 1 && (await rows())[0]!.includes('Nightly export')) || undefined);
  await page.getByLabel('State').selectOption('');
  await page.getByLabel('Severity').selectOption('warning');
  await page.getByLabel('Text').fill('DISK');
  await page.getByRole('button', { name: 'Filter' }).click();
  await waitFor('severity and text', async () => ((await rows()).length === 1 && (await rows())[0]!.includes('Disk 91% full')) || undefined);
  await page.getByLabel('Severity').selectOption('');
  await page.getByLabel('Text').fill('');
  await page.getByLabel('Source').selectOption('prometheus');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('No alert matches these filters.').waitFor();
  await page.getByLabel('Source').selectOption('');
  await page.getByRole('button', { name: 'Filter' }).click();
  await waitFor('all again', async () => (await rows()).length === 4 || undefined);
  await checkPage('alerts');
});

test('the alert page: timeline of transitions and attempts, deliveries with request_id and hint, labels, metadata; acknowledge and resolve', async () => {
  await page.getByRole('link', { name: 'Orders API 5xx above 2%' }).click();
  await page.getByRole('heading', { level: 1, name: 'Orders API 5xx above 2%' }).waitFor();
  const main = page.locator('main');
  await main.locator('ol.timeline li').first().waitFor();
  const text = await main.innerText();
  assert.match(text, /fired by app/);
  assert.match(text, /oncall: delivered HTTP 202 in \d+ ms · request_id /);
  assert.match(text, /broken: failed HTTP 401/);
  assert.match(text, /What to do: The alert source token is wrong/);
  assert.match(text, /team\s+payments/);
  assert.match(text, /"service": "orders"/);
  assert.match(text, /Incident\s+INC-\d+ \(incidents, episode 1\)/, 'the incident the incidents destination declared');
  await checkPage('alert');

  await page.getByRole('button', { name: 'Acknowledge', exact: true }).click();
  await page.getByText('Acknowledged.').waitFor();
  await main.getByText('acknowledged by api').waitFor();
  const id = page.url().split('/').pop()!;
  assert.equal((await api(`/alerts/${id}`)).body.alert.state, 'acknowledged');
  assert.equal(await page.getByRole('button', { name: 'Acknowledge', exact: true }).isDisabled(), true);

  await page.getByRole('button', { name: 'Resolve' }).click();
  await page.getByText(/^Resolved: the resolve is queued/).waitFor();
  assert.equal((await api(`/alerts/${id}`)).body.alert.state, 'resolved');
  await waitFor('the resolve reached incident.io', async () => (await fx.emu.alerts()).some((a) => a.deduplication_key === 'app:orders-5xx' && a.status === 'resolved') || undefined, 10_000);
});

test('deliveries: dead letters first with the hint in plain words; retry one, retry all', async () => {
  await nav('Deliveries');
  await page.getByRole('heading', { name: /^Dead letters \(\d+\)/ }).waitFor();
  const headings = await page.locator('main h2').allInnerTexts();
  assert.match(headings[0]!, /^Dead letters/);
  assert.equal(headings[1], 'Recent deliveries');
  assert.match(await page.locator('main').innerText(), /What to do: The alert source token is wrong, or belongs to another alert source/);
  await checkPage('deliveries');

  const dead = (await api('/deliveries?status=dead')).body.deliveries as { id: number; attempts: number }[];
  const first = dead.at(-1)!;
  await page.getByRole('button', { name: `Retry delivery ${first.id}` }).click();
  await page.getByText(`Delivery ${first.id} is queued again`).waitFor();
  // Still the wrong token: it is sent again (one more attempt) and dead-letters again.
  await waitFor('the retried delivery was sent again', async () => {
    const d = (await api(`/deliveries/${first.id}`)).body;
    return (d.attempts.length > first.attempts && d.delivery.status === 'dead') || undefined;
  }, 10_000);
  await page.getByRole('button', { name: 'Retry all dead' }).click();
  await page.getByText(/^Retry all: \d+ queued again/).waitFor();
});

test('destinations: settings with secrets masked; Test connection shows the outcome', async () => {
  await nav('Destinations');
  const main = page.locator('main');
  const text = await main.innerText();
  assert.match(text, /alert_source_config_id\s+\S+/);
  assert.match(text, /token\s+•••••• \(set\)/);
  assert.match(text, /api_key\s+•••••• \(set\)/);
  await page.locator('#test-oncall').click();
  await page.locator('#test-result-oncall').getByText(/destination "oncall" works/).waitFor({ timeout: 10_000 });
  assert.match(await page.locator('#test-result-oncall').innerText(), /resolved: delivered HTTP 202 · request_id/);
  await page.locator('#test-broken').click();
  await page.locator('#test-result-broken').getByText(/did not accept the test event/).waitFor({ timeout: 10_000 });
  assert.match(await page.locator('#test-result-broken').innerText(), /HTTP 401[\s\S]*What to do: The alert source token is wrong/);
  assert.ok((await fx.emu.requests()).some((r) => JSON.stringify(r).includes('tocsin-connection-test-oncall')), 'the test reached the emulator');
  await checkPage('destinations');
});

test('routes: the list in order, and where an alert would go', async () => {
  await nav('Routes');
  const text = await page.locator('main').innerText();
  assert.match(text, /team="payments"\s+oncall, broken\s+stop/);
  assert.match(text, /every alert\s+oncall\s+stop \(default route\)/);
  await page.getByLabel('Labels').fill('team=payments severity=critical');
  await page.getByLabel('Source').selectOption('app');
  await page.getByRole('button', { name: 'Where would it go?' }).click();
  await page.getByText('Goes to oncall, broken, incidents — matched route #1.').waitFor();
  await checkPage('routes');
  await page.getByLabel('Labels').fill('team=storage');
  await page.getByRole('button', { name: 'Where would it go?' }).click();
  await page.getByText('Goes to oncall — matched route #4.').waitFor();
  await page.getByLabel('Labels').fill('severity=P1');
  await page.getByRole('button', { name: 'Where would it go?' }).click();
  await page.getByText(/routes see tocsin's severity/).waitFor();
});

test('sources: ingest URL and setup snippets with the token as a placeholder', async () => {
  await nav('Sources');
  const text = await page.locator('main').innerText();
  assert.ok(text.includes(`${fx.tocsin.url}/ingest/app`));
  assert.match(text, /Authorization: Bearer \$TOCSIN_APP_TOKEN/);
  assert.match(text, /webhook_configs:[\s\S]*url: http:\/\/127\.0\.0\.1:\d+\/ingest\/prometheus[\s\S]*credentials_file/);
  assert.match(text, /authorization_credentials: \$TOCSIN_GRAFANA_TOKEN/);
  assert.match(text, /tocsin dbt target\/run_results\.json --source dbt/);
  await checkPage('sources');
});

test('live updates: an alert ingested elsewhere appears on the open alerts page without a reload', async () => {
  await nav('Alerts');
  await page.locator('#live').getByText('Live').waitFor();
  const before = await page.locator('main tbody tr').count();
  await fx.ingest({ title: 'Checkout latency p99 above 2 s', dedup_key: 'checkout-p99', severity: 'error', metadata: { team: 'payments' } });
  await page.getByRole('link', { name: 'Checkout latency p99 above 2 s' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('main tbody tr').count(), before + 1);
});

test('keyboard: a skip link, then every control is reachable with Tab and shows a focus ring', async () => {
  await page.goto(`${fx.tocsin.url}/ui/alerts`);
  await page.locator('main tbody tr').first().waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate<string | undefined>('document.activeElement?.textContent'), 'Skip to content');
  const reached = new Set<string>();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    // A string, evaluated in the page: the tests are type-checked without the DOM's types.
    const f = await page.evaluate<{ name: string; text: string; outline: string } | undefined>(`(() => {
      const el = document.activeElement;
      if (el === document.body) return undefined;
      return { name: el.getAttribute('aria-label') || el.id, text: el.textContent?.trim() ?? '', outline: getComputedStyle(el).outlineStyle };
    })()`);
    if (!f) break; // past the last control
    assert.notEqual(f.outline, 'none', `focus is visible on ${f.name || f.text}`);
    reached.add(f.name || f.text);
  }
  for (const want of ['Alerts', 'Deliveries', 'logout', 'f-status', 'f-label', 'Filter']) assert.ok([...reached].some((r) => r === want || r.startsWith(want)), `Tab reaches ${want}: ${[...reached].join(', ')}`);
});

test('dark mode follows prefers-color-scheme and passes axe too', async () => {
  const dark = await newPage(browser, { dark: true });
  try {
    await logIn(dark.page, fx.tocsin.url, ADMIN_TOKEN);
    await dark.page.getByText('firing alerts').waitFor();
    const bg = await dark.page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    assert.equal(bg, 'rgb(18, 20, 23)');
    const pageBefore = page;
    page = dark.page;
    try {
      assert.deepEqual(await axeViolations(page), []);
      await screenshot(page, 'overview-dark');
      await nav('Alerts');
      assert.deepEqual(await axeViolations(page), []);
      await screenshot(page, 'alerts-dark');
    } finally {
      page = pageBefore;
    }
  } finally {
    await dark.context.close();
  }
});

test('links out of tocsin are http(s) only: a javascript: URL from a source shows as text', async () => {
  const tags = await page.evaluate<string[]>(`import('/ui/assets/dom.js').then((d) => ['javascript:alert(1)', 'data:text/html,x', 'https://grafana.example.com/d/1', 'not a url'].map((u) => d.outLink(u).tagName))`);
  assert.deepEqual(tags, ['SPAN', 'SPAN', 'A', 'SPAN']);
  assert.equal(await page.locator('a[href^="javascript:"]').count(), 0);
});

test('the accessibility check can fail: it finds an unlabelled field and low contrast', async () => {
  const probe = await newPage(browser);
  try {
    await probe.page.setContent('<html lang="en"><title>x</title><main><input type="text"><p style="color:#bbb;background:#fff">faint</p></main></html>');
    const found = await axeViolations(probe.page);
    assert.ok(found.some((v) => v.startsWith('label ')), found.join('\n'));
    assert.ok(found.some((v) => v.startsWith('color-contrast ')), found.join('\n'));
  } finally {
    await probe.context.close();
  }
});

test('no secret — admin token, source tokens, destination tokens — is in any page or response the browser got', async () => {
  await waitFor('responses recorded', async () => seen.responses.length > 20 || undefined);
  const pages = [await page.content()];
  const all = [...seen.responses.map((r) => `${r.url}\n${r.body}`), ...pages].join('\n');
  for (const [name, secret] of Object.entries(fx.secrets)) {
    assert.ok(!all.includes(secret), `${name} reached the browser: …${all.slice(Math.max(0, all.indexOf(secret) - 120), all.indexOf(secret) + 20)}…`);
  }
  assert.ok(seen.responses.some((r) => r.url.includes('/api/v1/destinations')), 'the destinations were among them');
});
