/**
 * Escalations in the web UI, in a real Chromium against a running gateway and the emulator: the alert page's steps and
 * readable `escalated` transitions, acknowledging cancels what is pending, the Escalations page (and its API, GET
 * /api/v1/escalations) with live updates, routes with their steps, Fluent Bit and Vector snippets that work as shown.
 * axe finds no serious violation and no secret reaches the browser. Screenshots go to test-output/ui/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { axeViolations, launch, logIn, newPage, pageSteps, screenshot, type Seen } from './ui-browser.ts';

const CHAT = { id: '01GW2G3V0S59R238FAHPDS1R70', token: 'chat-source-token-0123456789' };
const ONCALL = { id: '01GW2G3V0S59R238FAHPDS1R71', token: 'oncall-source-token-0123456789' };
const LOGS_TOKEN = 'logs-source-token-0123456789';
const PROM_TOKEN = 'prom-source-token-0123456789';
/** The storage route's step: short enough to fire during the test. */
const QUICK_MS = 2000;

let emu: Emulator;
let tocsin: TocsinProcess;
let browser: Browser;
let page: Page;
let seen: Seen;
const ids: Record<string, string> = {};
const api = (path: string) => http('GET', `${tocsin.url}/api/v1${path}`, { token: ADMIN_TOKEN });

async function ingest(title: string, dedup_key: string, team: string) {
  const r = await http('POST', `${tocsin.url}/ingest/app`, { token: APP_TOKEN, body: { title, dedup_key, severity: 'critical', metadata: { team } } });
  assert.equal(r.status, 202, r.text);
  return r.body.results[0].id as string;
}

before(async () => {
  emu = await Emulator.start({ alertSources: [CHAT, ONCALL] });
  const dir = tempDir('tocsin-ui-esc-');
  const port = await freePort();
  const dest = (s: typeof CHAT) => ({ type: 'incident_io_alert_source', alert_source_config_id: s.id, token: s.token, base_url: emu.url });
  const config = gatewayConfig(emu, dir, port, {
    sources: { app: { type: 'alerts', token: APP_TOKEN }, prometheus: { type: 'alertmanager', token: PROM_TOKEN }, logs: { type: 'versus', token: LOGS_TOKEN } },
    destinations: { chat: dest(CHAT), oncall: dest(ONCALL) },
    routes: [
      { match: { team: 'payments' }, escalation: [{ notify: ['chat'] }, { after: '3m', to: ['oncall'] }] },
      { match: { team: 'storage' }, escalation: [{ notify: ['chat'] }, { after: `${QUICK_MS}ms`, to: ['oncall'] }] },
      { to: ['chat'] },
    ],
    delivery: { poll_interval: '100ms', retry_base_delay: '100ms' },
  });
  tocsin = await startTocsin(writeConfig(dir, config), { port });
  ids.payments = await ingest('Payments API 5xx above 2%', 'pay-5xx', 'payments');
  ids.storage = await ingest('Disk 91% full on db-2', 'disk-db-2', 'storage');
  ids.checkout = await ingest('Checkout latency p99 above 2 s', 'checkout-p99', 'payments');
  await waitFor('the storage step fired', async () => (await api(`/alerts/${ids.storage}`)).body.escalations?.[0]?.status === 'fired' || undefined, 10_000);
  browser = await launch();
  ({ page, seen } = await newPage(browser));
});
after(async () => {
  await browser?.close();
  await tocsin?.kill();
  await emu?.close();
});

/** Renders, has no console error, passes axe, and is photographed; the main navigation. */
const { checkPage, nav } = pageSteps(() => ({ page, seen }));

test('GET /api/v1/escalations: pending steps soonest first with their alert; fired ones by status; bad queries refused', async () => {
  const r = await api('/escalations');
  assert.equal(r.status, 200, r.text);
  const pending = r.body.escalations as { alert_id: string; alert_title: string; alert_state: string; episode: number; step: number; due_at: string; after_ms: number; to: string[]; status: string; reason: null }[];
  assert.deepEqual(pending.map((e) => [e.alert_id, e.alert_title, e.alert_state, e.step, e.to, e.status, e.after_ms]), [
    [ids.payments, 'Payments API 5xx above 2%', 'firing', 1, ['oncall'], 'pending', 180_000],
    [ids.checkout, 'Checkout latency p99 above 2 s', 'firing', 1, ['oncall'], 'pending', 180_000],
  ]);
  assert.ok(Date.parse(pending[0]!.due_at) <= Date.parse(pending[1]!.due_at), 'soonest first');
  assert.ok(Math.abs(Date.parse(pending[0]!.due_at) - Date.now() - 180_000) < 60_000, pending[0]!.due_at);
  assert.deepEqual((await api('/escalations?status=pending&limit=1')).body.escalations.map((e: { alert_id: string }) => e.alert_id), [ids.payments]);
  const fired = (await api('/escalations?status=fired')).body.escalations;
  assert.deepEqual(fired.map((e: { alert_id: string; status: string; reason: null }) => [e.alert_id, e.status, e.reason]), [[ids.storage, 'fired', null]]);
  assert.deepEqual((await api('/escalations?status=cancelled')).body.escalations, []);
  for (const bad of ['?status=done', '?limit=0', '?limit=501', '?alert=1']) assert.equal((await api(`/escalations${bad}`)).status, 400, bad);
  assert.equal((await http('GET', `${tocsin.url}/api/v1/escalations`)).status, 401, 'the admin token is needed');
});

test('the alert page: an escalated transition in words, the steps with status; the storage alert went to on-call', async () => {
  await logIn(page, tocsin.url, ADMIN_TOKEN);
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  await page.goto(`${tocsin.url}/ui/alerts/${ids.storage}`);
  await page.getByRole('heading', { level: 1, name: 'Disk 91% full on db-2' }).waitFor();
  const main = page.locator('main');
  await main.locator('ol.timeline li.t-escalated').waitFor();
  const text = await main.innerText();
  assert.match(text, /escalated to oncall: not acknowledged within 2s · step 1, episode 1/);
  assert.match(text, /Escalation\n[\s\S]*1\s+1\s+.*ago\s+2s after it fired\s+oncall\s+fired/);
  assert.match(text, /Routed to\s+chat, oncall/);
  await checkPage('alert-escalated');
  await waitFor('on-call got the alert', async () => (await emu.requests(`/v2/alert_events/http/${ONCALL.id}`)).some((x) => x.status === 202) || undefined);
});

test('the alert page: a pending step, then Acknowledge cancels it (shown after the action)', async () => {
  await page.goto(`${tocsin.url}/ui/alerts/${ids.payments}`);
  await page.getByRole('heading', { level: 1, name: 'Payments API 5xx above 2%' }).waitFor();
  const steps = page.getByRole('table', { name: 'Escalation steps of this alert' });
  await steps.waitFor();
  assert.match(await steps.innerText(), /1\s+1\s+in [23] min\s+3m after it fired\s+oncall\s+pending/);
  await checkPage('alert-escalation');
  await page.getByRole('button', { name: 'Acknowledge', exact: true }).click();
  await page.getByText('Acknowledged. The escalation steps still pending are cancelled.').waitFor();
  await waitFor('the step shows cancelled', async () => /oncall\s+cancelled acknowledged/.test(await steps.innerText()) || undefined);
  const detail = (await api(`/alerts/${ids.payments}`)).body;
  assert.deepEqual(detail.escalations.map((e: { status: string; reason: string }) => [e.status, e.reason]), [['cancelled', 'acknowledged']]);
  assert.equal(await page.getByRole('button', { name: 'Acknowledge', exact: true }).isDisabled(), true);
});

test('Escalations page: pending steps soonest first with alert, due-in and destinations; updates live', async () => {
  await nav('Escalations');
  const rows = () => page.locator('main tbody tr').allInnerTexts();
  await page.locator('main tbody tr').first().waitFor();
  assert.equal((await rows()).length, 1, 'the acknowledged alert\'s step is gone');
  assert.match((await rows())[0]!, /in [23] min[\s\S]*Checkout latency p99 above 2 s[\s\S]*episode 1\s+1\s+oncall\s+firing/);
  await page.locator('#live').getByText('Live').waitFor();
  ids.queue = await ingest('Payment queue backlog growing', 'pay-queue', 'payments');
  await page.getByRole('link', { name: 'Payment queue backlog growing' }).waitFor({ timeout: 10_000 });
  const texts = await rows();
  assert.equal(texts.length, 2);
  assert.match(texts[0]!, /Checkout latency/, 'the older step is due first');
  await checkPage('escalations');
  await page.getByRole('link', { name: 'Checkout latency p99 above 2 s' }).click();
  await page.getByRole('heading', { level: 1, name: 'Checkout latency p99 above 2 s' }).waitFor();
  await nav('Escalations');
  await http('POST', `${tocsin.url}/api/v1/alerts/${ids.checkout}/resolve`, { token: ADMIN_TOKEN });
  await waitFor('the resolved alert\'s step leaves the page', async () => ((await rows()).length === 1 && (await rows())[0]!.includes('Payment queue')) || undefined, 10_000);
});

test('a step of an alert its source resolved is cancelled at once: it leaves the Escalations page, the alert page says why', async () => {
  await nav('Escalations');
  await page.getByRole('link', { name: 'Payment queue backlog growing' }).waitFor();
  const r = await http('POST', `${tocsin.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Payment queue backlog growing', dedup_key: 'pay-queue', status: 'resolved' } });
  assert.equal(r.status, 202, r.text);
  await page.getByRole('link', { name: 'Payment queue backlog growing' }).waitFor({ state: 'detached', timeout: 10_000 });
  assert.ok(!(await api('/escalations')).body.escalations.some((row: { alert_id: string }) => row.alert_id === ids.queue), 'no longer pending');
  await page.goto(`${tocsin.url}/ui/alerts/${ids.queue}`);
  const steps = page.getByRole('table', { name: 'Escalation steps of this alert' });
  await steps.waitFor();
  assert.match(await steps.innerText(), /oncall\s+cancelled\s+resolved/);
});

test('Routes: each escalation step in words, and where an alert would go says it too', async () => {
  await nav('Routes');
  const text = await page.locator('main').innerText();
  assert.match(text, /team="payments"\s+chat\s+then after 3m unless acknowledged → oncall\s+stop/);
  assert.match(text, /team="storage"\s+chat\s+then after 2s unless acknowledged → oncall\s+stop/);
  assert.match(text, /every alert\s+chat\s+stop \(default route\)/);
  await page.getByLabel('Labels').fill('team=payments');
  await page.getByRole('button', { name: 'Where would it go?' }).click();
  await page.getByText('Goes to chat — matched route #1. Then after 3m unless acknowledged → oncall.').waitFor();
  await checkPage('routes');
  const tree = (await api('/routes')).body;
  assert.deepEqual(tree.routes[0].escalation, [{ after_ms: 180_000, to: ['oncall'] }]);
  assert.equal(tree.routes[2].escalation, undefined);
});

/** The line of a snippet that starts with `key` (spaces around), its value. */
const field = (text: string, key: string) => new RegExp(`^\\s*${key}\\s+(.+)$`, 'm').exec(text)?.[1]?.trim();

test('Sources: Fluent Bit and Vector snippets with the token as a placeholder, and what they send is taken', async () => {
  await nav('Sources');
  const fluent = await page.locator('pre[aria-label="logs: Fluent Bit (fluent-bit.conf)"]').innerText();
  const vector = await page.locator('pre[aria-label="logs: Vector (vector.yaml)"]').innerText();
  assert.match(fluent, /^# json_lines[^\n]*\n\[OUTPUT\]\n\s+Name\s+http\n\s+Match\s+\*/);
  assert.equal(field(fluent, 'Format'), 'json_lines');
  assert.equal(field(fluent, 'Header'), 'Authorization Bearer ${TOCSIN_LOGS_TOKEN}');
  assert.equal(field(fluent, 'tls'), 'Off');
  assert.match(vector, /type: http[\s\S]*auth:\n\s+strategy: bearer\n\s+token: "\$\{TOCSIN_LOGS_TOKEN\}"[\s\S]*codec: json[\s\S]*framing:\n\s+method: newline_delimited/);
  assert.equal(await page.locator('pre[aria-label^="app: Fluent Bit"]').count(), 0, 'not for the alerts type, whose body needs a title');
  assert.equal(await page.locator('pre[aria-label^="prometheus: Vector"]').count(), 0);

  // What each would send — NDJSON records to the address the snippet names, the token where its placeholder is.
  const record = (msg: string) => JSON.stringify({ date: 1764633600.12, log: msg, kubernetes: { namespace_name: 'shop', container_name: 'api' } });
  const fluentUrl = `http://${field(fluent, 'Host')}:${field(fluent, 'Port')}${field(fluent, 'URI')}`;
  const vectorUrl = /uri: (\S+)/.exec(vector)![1]!;
  for (const [who, url, msg] of [['Fluent Bit', fluentUrl, 'ERROR: payment provider timed out'], ['Vector', vectorUrl, 'ERROR: cart service refused connection']] as const) {
    const r = await http('POST', url, { raw: `${record(msg)}\n${record(`${msg} again`)}\n`, headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${LOGS_TOKEN}` } });
    assert.equal(r.status, 202, `${who}: ${r.text}`);
    assert.equal(r.body.results.length, 2, who);
  }
  await checkPage('sources');
});

test('dark mode: the Escalations page and an escalated alert pass axe too', async () => {
  const dark = await newPage(browser, { dark: true });
  try {
    await logIn(dark.page, tocsin.url, ADMIN_TOKEN);
    await dark.page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await dark.page.goto(`${tocsin.url}/ui/escalations`);
    await dark.page.getByRole('heading', { level: 1, name: 'Escalations' }).waitFor();
    assert.deepEqual(await axeViolations(dark.page), [], 'axe on escalations (dark)');
    await dark.page.goto(`${tocsin.url}/ui/alerts/${ids.storage}`);
    await dark.page.locator('ol.timeline li.t-escalated').waitFor();
    assert.deepEqual(await axeViolations(dark.page), [], 'axe on the escalated alert (dark)');
    await screenshot(dark.page, 'escalations-alert-dark');
    assert.deepEqual(dark.seen.errors, []);
  } finally {
    await dark.context.close();
  }
});

test('no secret — admin, source and destination tokens — is in any page or response the browser got', async () => {
  const all = [...seen.responses.map((r) => `${r.url}\n${r.body}`), await page.content()].join('\n');
  assert.ok(seen.responses.some((r) => r.url.includes('/api/v1/escalations')), 'the escalations were among them');
  for (const [name, secret] of Object.entries({ ADMIN_TOKEN, APP_TOKEN, LOGS_TOKEN, PROM_TOKEN, CHAT: CHAT.token, ONCALL: ONCALL.token, EMULATOR: emu.source.token })) {
    assert.ok(!all.includes(secret), `${name} reached the browser`);
  }
});
