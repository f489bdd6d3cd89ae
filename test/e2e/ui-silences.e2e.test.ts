/**
 * Silences in the web UI, in a real Chromium against a running gateway and the incident.io emulator: create one from the
 * form after its preview, field errors from the API beside their fields, an alert's delivery held (the alert page links
 * the silence), Expire and the delivery goes out; the list's "matches now" (GET /api/v1/silences `matching_alerts`).
 * axe finds no serious violation, no secret reaches the browser. Screenshots go to test-output/ui/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { launch, logIn, newPage, pageSteps, type Seen } from './ui-browser.ts';

let emu: Emulator;
let tocsin: TocsinProcess;
let browser: Browser;
let page: Page;
let seen: Seen;
const ids: Record<string, string> = {};
const api = (path: string) => http('GET', `${tocsin.url}/api/v1${path}`, { token: ADMIN_TOKEN });

async function ingest(title: string, dedup_key: string, metadata: Record<string, string>) {
  const r = await http('POST', `${tocsin.url}/ingest/app`, { token: APP_TOKEN, body: { title, dedup_key, severity: 'warning', metadata } });
  assert.equal(r.status, 202, r.text);
  return r.body.results[0].id as string;
}

/** The firing events incident.io accepted for an alert key. */
const sent = async (key: string) =>
  (await emu.requests(`/v2/alert_events/http/${emu.source.id}`)).filter((r) => r.status === 202 && String(r.body.deduplication_key).endsWith(key)).map((r) => r.body.status as string);

before(async () => {
  emu = await Emulator.start();
  const dir = tempDir('tocsin-ui-silences-');
  const port = await freePort();
  tocsin = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, {
    delivery: { poll_interval: '100ms', retry_base_delay: '100ms' },
    inhibit_rules: [{ source_matchers: ['alertname="NodeDown"'], target_matchers: ['alertname="HighLoad"'], equal: ['host'] }],
  })), { port });
  ids.db1 = await ingest('Disk 93% full on db-1', 'disk-db-1', { team: 'storage', alertname: 'DiskFull' });
  ids.api = await ingest('API latency p99 above 1 s', 'api-p99', { team: 'web', alertname: 'Latency' });
  await waitFor('both delivered', async () => (await sent('disk-db-1')).length === 1 && (await sent('api-p99')).length === 1 || undefined, 10_000);
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

test('the form: the API\'s problems show beside their fields (matchers, comment, created by)', async () => {
  await nav('Silences');
  await page.getByText('No active silence').waitFor();
  const err = (k: string) => page.locator(`#s-${k}-error`);
  const create = () => page.getByRole('button', { name: 'Create silence' }).click();
  await page.getByLabel('Matchers').fill('alertname=~"("');
  await page.getByLabel('Created by').fill('');
  await create();
  // The body's shape first (every field named at once), then the matchers.
  await err('created_by').getByText('say who creates the silence').waitFor();
  assert.match(await err('comment').innerText(), /say why/);
  assert.equal(await page.getByLabel('Created by').getAttribute('aria-invalid'), 'true');
  await page.getByLabel('Created by').fill('alice');
  await page.getByLabel('Comment').fill('disk swap, CHG-42');
  await create();
  await err('matchers').getByText(/invalid regular expression/).waitFor();
  assert.equal(await err('comment').innerText(), '', 'a fixed field loses its error');
  assert.equal(await page.getByLabel('Comment').getAttribute('aria-invalid'), null);
  await page.getByLabel('Matchers').fill('team=~".*"');
  await create();
  await err('matchers').getByText(/match every alert/).waitFor();
  await page.getByLabel('Matchers').fill('alertname="DiskFull"');
  await page.getByLabel('Duration').fill('2 hours');
  await create();
  await err('duration').getByText(/must be a duration like/).waitFor();
  assert.equal(await err('matchers').innerText(), '');
  await checkPage('silences-errors');
  assert.deepEqual((await api('/silences?state=active')).body.silences, [], 'nothing was created');
});

test('preview, create: the silence is listed with what it matches now; a new matching alert is held', async () => {
  await page.getByLabel('Duration').fill('2h');
  await page.getByLabel('Matchers').fill('alertname="DiskFull"\nteam=~"stor.*"');
  await page.getByRole('button', { name: 'Preview matching alerts' }).click();
  const preview = page.locator('#s-preview');
  await preview.getByText('1 active alert would be silenced:').waitFor();
  assert.match(await preview.innerText(), /Disk 93% full on db-1\s+firing\s+app/);
  assert.ok(!(await preview.innerText()).includes('API latency'));
  await checkPage('silences-preview');
  await page.getByRole('button', { name: 'Create silence' }).click();
  await page.getByText(/^Silence \S+ created: active, ends in 2 h\.$/).waitFor();
  const [s] = (await api('/silences?state=active')).body.silences;
  ids.silence = s.id;
  assert.deepEqual([s.matchers.map((m: { text: string }) => m.text), s.created_by, s.comment, s.matching_alerts], [['alertname="DiskFull"', 'team=~"stor.*"'], 'alice', 'disk swap, CHG-42', 1]);
  assert.ok(Math.abs(Date.parse(s.ends_at) - Date.parse(s.starts_at) - 7_200_000) < 1000, 'two hours');

  ids.db2 = await ingest('Disk 97% full on db-2', 'disk-db-2', { team: 'storage', alertname: 'DiskFull' });
  await waitFor('the delivery is muted', async () => (await api(`/alerts/${ids.db2}`)).body.deliveries?.[0]?.status === 'muted' || undefined, 10_000);
  const table = page.getByRole('table', { name: 'Active silences' });
  await waitFor('the list counts the new alert (live)', async () => /alertname="DiskFull"\s+team=~"stor\.\*"[\s\S]*active\s+2\s/.test(await table.innerText()) || undefined, 15_000);
  assert.match(await table.innerText(), /alice\s+disk swap, CHG-42\s+Expire/);
  assert.equal((await api('/silences?state=active')).body.silences[0].matching_alerts, 2);
  assert.equal((await api('/silences?state=expired')).body.silences.length, 0);
  await checkPage('silences');
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await sent('disk-db-2'), [], 'held: incident.io heard nothing of db-2');
});

test('the silenced alert links its silence; Expire there and the held delivery goes out', async () => {
  await page.goto(`${tocsin.url}/ui/alerts/${ids.db2}`);
  await page.getByRole('heading', { level: 1, name: 'Disk 97% full on db-2' }).waitFor();
  assert.match(await page.locator('main dl').innerText(), /Muted\s+silenced by silence \S+ \(oncall\)/);
  await page.getByRole('link', { name: `silence ${ids.silence}` }).click();
  await page.getByRole('heading', { level: 1, name: 'Silence alertname="DiskFull" team=~"stor.*"' }).waitFor();
  const text = await page.locator('main').innerText();
  assert.match(text, /Created by\s+alice\s+Comment\s+disk swap, CHG-42/);
  assert.match(text, /2 active alerts match it; what they send while it lasts is held:/);
  await checkPage('silence');
  await page.getByRole('button', { name: 'Expire' }).click();
  await page.getByText(/is expired: the alerts it held that still fire are delivered now/).waitFor();
  await waitFor('db-2 delivered once the silence is expired', async () => (await sent('disk-db-2')).length === 1 || undefined, 10_000);
  assert.deepEqual(await sent('disk-db-1'), ['firing'], 'db-1 was already sent: not again');
  const s = (await api(`/silences/${ids.silence}`)).body.silence;
  assert.equal(s.state, 'expired');
  assert.equal(s.matching_alerts, null, 'an expired silence holds nothing');
  await page.getByText('Expired: it holds nothing any more.').waitFor();
  await nav('Silences');
  assert.match(await page.getByRole('table', { name: 'Expired silences, most recent first' }).innerText(), /alertname="DiskFull"[\s\S]*expired\s+—\s+\d+ s ago\s+\d+ s ago\s+alice/);
});

test('Expire from the list: a pending silence (starts later) ends without ever holding anything', async () => {
  await page.getByText('None starting later.').waitFor();
  // Made elsewhere (another browser, amtool, another instance): the open page shows it by its live updates, well
  // before its own re-read every 10 s.
  // Half a minute past the hour: shown as "in 1 h" however long the live update takes (up to 30 s).
  const starts = new Date(Date.now() + 3_630_000).toISOString();
  const r = await http('POST', `${tocsin.url}/api/v1/silences`, { token: ADMIN_TOKEN, body: { matchers: 'alertname=Latency', starts_at: starts, duration: '1h', created_by: 'bob', comment: 'deploy window' } });
  assert.equal(r.status, 201, r.text);
  const pending = page.getByRole('table', { name: 'Pending silences (starting later)' });
  await pending.waitFor({ timeout: 4_000 });
  assert.match(await pending.innerText(), /alertname="Latency"[\s\S]*pending\s+1\s+in 1 h\s+in 2 h\s+bob\s+deploy window\s+Expire/);
  await pending.getByRole('button', { name: 'Expire silence alertname="Latency"' }).click();
  await page.getByText('None starting later.').waitFor();
  assert.equal((await api(`/silences/${r.body.silence.id}`)).body.silence.state, 'expired');
  assert.deepEqual(seen.errors, []);
});

test('an inhibited alert links the alert inhibiting it', async () => {
  ids.node = await ingest('Node web-1 down', 'node-web-1', { alertname: 'NodeDown', host: 'web-1' });
  ids.load = await ingest('Load high on web-1', 'load-web-1', { alertname: 'HighLoad', host: 'web-1' });
  await waitFor('inhibited', async () => (await api(`/alerts/${ids.load}`)).body.alert.muted?.by === 'inhibition' || undefined, 10_000);
  await page.goto(`${tocsin.url}/ui/alerts/${ids.load}`);
  await page.getByRole('heading', { level: 1, name: 'Load high on web-1' }).waitFor();
  assert.match(await page.locator('main dl').innerText(), new RegExp(`Muted\\s+inhibited by alert ${ids.node} \\(oncall\\)`));
  await page.getByRole('link', { name: ids.node }).click();
  await page.getByRole('heading', { level: 1, name: 'Node web-1 down' }).waitFor();
});

test('no secret — admin, source and destination tokens — is in any page or response the browser got', async () => {
  const all = [...seen.responses.map((r) => `${r.url}\n${r.body}`), await page.content()].join('\n');
  assert.ok(seen.responses.some((r) => r.url.includes('/api/v1/silences/preview')));
  for (const [name, secret] of Object.entries({ ADMIN_TOKEN, APP_TOKEN, DESTINATION: emu.source.token })) assert.ok(!all.includes(secret), `${name} reached the browser`);
});
