/**
 * Heartbeats and acknowledging in the web UI, in a real Chromium against a running gateway and the emulator: the
 * Heartbeats page shows a missed heartbeat and links its alert, and goes back to up live when a ping comes; no token or
 * URL of a heartbeat reaches the browser. The alert page acknowledges (saying who) and unacknowledges, which re-arms the
 * escalation (checked through the API). axe finds no serious violation. Screenshots go to test-output/ui/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { axeViolations, launch, logIn, newPage, pageSteps, screenshot, type Seen } from './ui-browser.ts';

const ONCALL = { id: '01GW2G3V0S59R238FAHPDS1R80', token: 'oncall-source-token-0123456789' };
const PAGER = { id: '01GW2G3V0S59R238FAHPDS1R81', token: 'pager-source-token-0123456789' };
const HB_TOKEN = 'backup-heartbeat-own-token-0123456789';

let emu: Emulator;
let tocsin: TocsinProcess;
let browser: Browser;
let page: Page;
let seen: Seen;
const ids: Record<string, string> = {};
const api = (path: string) => http('GET', `${tocsin.url}/api/v1${path}`, { token: ADMIN_TOKEN });
const heartbeat = async (name: string) => ((await api('/heartbeats')).body.heartbeats as { name: string; status: string; alert: { id: string; state: string } | null }[]).find((x) => x.name === name);

before(async () => {
  emu = await Emulator.start({ alertSources: [ONCALL, PAGER] });
  const dir = tempDir('tocsin-ui-hb-');
  const port = await freePort();
  const dest = (s: typeof ONCALL) => ({ type: 'incident_io_alert_source', alert_source_config_id: s.id, token: s.token, base_url: emu.url });
  const config = gatewayConfig(emu, dir, port, {
    destinations: { oncall: dest(ONCALL), pager: dest(PAGER) },
    routes: [{ match: { team: 'payments' }, escalation: [{ notify: ['oncall'] }, { after: '10m', to: ['pager'] }] }, { to: ['oncall'] }],
    heartbeats: { 'nightly-etl': { every: '2s', labels: { team: 'data' } }, backup: { every: '1h', grace: '10m', token: HB_TOKEN } },
    delivery: { poll_interval: '100ms', retry_base_delay: '100ms' },
  });
  tocsin = await startTocsin(writeConfig(dir, config), { port });
  assert.equal((await http('POST', `${tocsin.url}/heartbeat/backup`, { token: HB_TOKEN })).status, 200);
  const r = await http('POST', `${tocsin.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Payments API 5xx above 2%', dedup_key: 'pay-5xx', severity: 'critical', metadata: { team: 'payments' } } });
  assert.equal(r.status, 202, r.text);
  ids.payments = r.body.results[0].id;
  browser = await launch();
  ({ page, seen } = await newPage(browser));
  await logIn(page, tocsin.url, ADMIN_TOKEN);
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
});
after(async () => {
  await browser?.close();
  await tocsin?.kill();
  await emu?.close();
});

const { checkPage, nav } = pageSteps(() => ({ page, seen }));

test('Heartbeats: a missed heartbeat with its alert (linked), one up; a ping brings it back up live', async () => {
  await waitFor('nightly-etl is missed, its alert raised', async () => (await heartbeat('nightly-etl'))?.alert?.state === 'firing' || undefined, 15_000);
  await nav('Heartbeats');
  const table = page.getByRole('table', { name: 'Heartbeats, with their state and the alert a miss raised' });
  await table.waitFor();
  const rows = await table.locator('tbody tr').allInnerTexts();
  assert.equal(rows.length, 2);
  const etl = rows.find((r) => r.startsWith('nightly-etl'))!;
  const backup = rows.find((r) => r.startsWith('backup'))!;
  assert.match(etl, /^nightly-etl\s+missed\s+since \d+ s ago\s+every 2s\s+—\s+\d+ s ago\s+nightly-etl: alert\s+firing\s+pinged over HTTP by the job\s+team=data$/);
  assert.match(backup, /^backup\s+up\s+every 1h\s+\+ 10m grace\s+\d+ s ago\s+1 ping\s+in 1 h\s+none yet \(raises a critical alert when missed\)\s+pinged over HTTP by the job$/);
  assert.match(await page.getByRole('status').filter({ hasText: 'heartbeats' }).innerText(), /2 heartbeats, 1 missed/);
  await checkPage('heartbeats');

  await page.getByRole('link', { name: 'nightly-etl: alert' }).click();
  await page.getByRole('heading', { level: 1, name: 'nightly-etl: no heartbeat for 2s' }).waitFor();
  await nav('Heartbeats');
  await page.locator('#live').getByText('Live').waitFor();
  assert.equal((await http('POST', `${tocsin.url}/heartbeat/nightly-etl`, { token: APP_TOKEN })).status, 200);
  await waitFor('the page shows it up again, its alert resolved', async () => {
    const text = (await table.locator('tbody tr').allInnerTexts()).find((r) => r.startsWith('nightly-etl')) ?? '';
    return /nightly-etl\s+up[\s\S]*resolved/.test(text) || undefined;
  }, 15_000);
});

test('no token or URL of a heartbeat reaches the browser', async () => {
  const hb = seen.responses.filter((r) => r.url.endsWith('/api/v1/heartbeats'));
  assert.ok(hb.length > 0);
  for (const r of hb) {
    assert.ok(!r.body.includes(HB_TOKEN), 'the heartbeat token');
    assert.ok(!/https?:\/\//.test(r.body), `a URL in ${r.body}`);
  }
  assert.ok(!/https?:\/\//.test(await page.locator('main').innerText()), 'no URL shown');
});

test('the alert page: Acknowledge says who, Unacknowledge re-arms the escalation (API), both in the timeline', async () => {
  // The name this browser gave before (a silence's "created by") is who acts.
  await page.evaluate(`localStorage.setItem('tocsin.name', 'alice')`);
  await page.goto(`${tocsin.url}/ui/alerts/${ids.payments}`);
  await page.getByRole('heading', { level: 1, name: 'Payments API 5xx above 2%' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Unacknowledge' }).count(), 0, 'not for a firing alert');
  await page.getByRole('button', { name: 'Acknowledge', exact: true }).click();
  await page.getByText('Acknowledged. The escalation steps still pending are cancelled.').waitFor();
  await page.locator('#acked-by').getByText('alice').waitFor();
  assert.match(await page.locator('main dl').innerText(), /Acknowledged\s+\d+ s ago by alice/);
  let detail = (await api(`/alerts/${ids.payments}`)).body;
  assert.deepEqual([detail.alert.state, detail.escalations.map((e: { status: string }) => e.status)], ['acknowledged', ['cancelled']]);
  await checkPage('alert-acknowledged');

  await page.getByRole('button', { name: 'Unacknowledge' }).click();
  await page.getByText(/^Unacknowledged: the alert is firing again/).waitFor();
  detail = (await api(`/alerts/${ids.payments}`)).body;
  assert.equal(detail.alert.state, 'firing');
  assert.deepEqual(detail.escalations.map((e: { status: string; to: string[] }) => [e.status, e.to]), [['pending', ['pager']]], 'the step is pending again');
  assert.ok(Date.parse(detail.escalations[0].due_at) > Date.now() + 60_000, 'at its original time, not at once');
  const unack = detail.transitions.at(-1);
  assert.deepEqual([unack.kind, unack.actor, unack.content.steps_rearmed], ['unacknowledged', 'alice', 1]);
  // The note comes first, then the page is read again.
  await page.locator('ol.timeline').getByText(/unacknowledged by alice \(acknowledged → firing\) · episode 1 · 1 escalation step\(s\) pending again/).waitFor();
  await page.getByRole('button', { name: 'Acknowledge', exact: true }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Acknowledge', exact: true }).isDisabled(), false);
  assert.equal(await page.getByRole('button', { name: 'Unacknowledge' }).count(), 0);
  assert.match(await page.getByRole('table', { name: 'Escalation steps of this alert' }).innerText(), /pager\s+pending/);
  assert.deepEqual(await axeViolations(page), []);
  assert.deepEqual(seen.errors, []);
});

test('dark mode: the Heartbeats and Silences pages pass axe too', async () => {
  const dark = await newPage(browser, { dark: true });
  try {
    await logIn(dark.page, tocsin.url, ADMIN_TOKEN);
    await dark.page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await dark.page.goto(`${tocsin.url}/ui/heartbeats`);
    await dark.page.getByRole('table').waitFor();
    assert.deepEqual(await axeViolations(dark.page), [], 'axe on heartbeats (dark)');
    await dark.page.goto(`${tocsin.url}/ui/silences`);
    await dark.page.getByRole('heading', { level: 2, name: 'New silence' }).waitFor();
    await dark.page.getByRole('button', { name: 'Create silence' }).click();
    await dark.page.locator('#s-comment-error').getByText(/say why/).waitFor();
    assert.deepEqual(await axeViolations(dark.page), [], 'axe on silences with field errors (dark)');
    await screenshot(dark.page, 'silences-dark');
    assert.deepEqual(dark.seen.errors, []);
  } finally {
    await dark.context.close();
  }
});
