/**
 * The web UI tests' browser: Debian's chromium driven by playwright-core (never a browser download), loopback only.
 * Every response body the page receives is kept, so a test can search them all for secrets.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../harness.ts';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/** Screenshots of each page, for people to look at (gitignored; current ones are copied to docs/screenshots/). */
export const SHOTS = join(ROOT, 'test-output/ui');

export const launch = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });

export interface Seen {
  /** Every response the page got: URL, status, body (event streams left out: they never end). */
  responses: { url: string; status: number; body: string }[];
  /** Console errors and uncaught exceptions of the page. */
  errors: string[];
}

export async function newPage(browser: Browser, opts: { dark?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; seen: Seen }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: opts.dark ? 'dark' : 'light' });
  const page = await context.newPage();
  const seen: Seen = { responses: [], errors: [] };
  page.on('console', (m) => {
    // The browser logs every refused fetch; refusals the page shows (a bad input 400, a wrong token or expired session
    // 401, CSRF 403) are expected in tests. A missing file (404) or a server error (5xx) is not.
    if (m.type() === 'error' && !/status of 40[013] /.test(m.text())) seen.errors.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('response', (r) => {
    if ((r.headers()['content-type'] ?? '').includes('event-stream')) return;
    void r.text().then(
      (body) => seen.responses.push({ url: r.url(), status: r.status(), body }),
      () => undefined,
    );
  });
  return { context, page, seen };
}

export async function logIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/ui/`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations on the page as it is (WCAG 2 A/AA rules). Evaluated through the
 * devtools protocol, which the page's Content-Security-Policy (no inline script) does not apply to.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  // A string, evaluated in the page: the tests are type-checked without the DOM's types.
  const violations = await page.evaluate<{ id: string; impact: string; help: string; nodes: { target: string[] }[] }[]>(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }).then((r) => r.violations)`,
  );
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * What every page test does, bound to the test's page (read through `current`: tests open it in a `before` hook):
 * `checkPage` — no axe violation, no console error, a screenshot; `nav` — the main navigation to a page by its name.
 */
export function pageSteps(current: () => { page: Page; seen: Seen }) {
  return {
    async checkPage(name: string): Promise<void> {
      const { page, seen } = current();
      assert.deepEqual(await axeViolations(page), [], `axe on ${name}`);
      await screenshot(page, name);
      assert.deepEqual(seen.errors, [], `console errors on ${name}`);
    },
    async nav(label: string): Promise<void> {
      const { page } = current();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: label }).waitFor();
    },
  };
}
