/**
 * Delivery outcome events (issue 9, Nexla's "response webhook"): a `webhook` destination with `on:` learns what reached
 * incident.io. An alert delivered to the emulator produces a signed `delivery.delivered` at the receiver; a 400 from
 * the emulator dead-letters the delivery and produces `delivery.dead` with the hint. A webhook never hears of its own
 * deliveries, and outcome events make no outcome events of their own (no loops).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { Receiver } from '../standins/receiver.ts';
import { launch, logIn, newPage } from './ui-browser.ts';

const SECRET = 'whsec_' + Buffer.alloc(32, 17).toString('base64');

describe('delivery outcome events', () => {
  let emu: Emulator;
  let rx: Receiver;
  let t: TocsinProcess;

  before(async () => {
    emu = await Emulator.start();
    rx = await Receiver.start(SECRET);
    const dir = tempDir();
    const port = await freePort();
    const base = gatewayConfig(emu, dir, port, { delivery: { poll_interval: '100ms', retry_base_delay: '200ms', retry_max_delay: '1s' } });
    const config = {
      ...base,
      destinations: {
        ...(base.destinations as Record<string, unknown>),
        // Outcomes only: no route sends it alerts.
        outcomes: { type: 'webhook', url: `${rx.url}/outcomes`, secret: SECRET, on: ['delivery.delivered', 'delivery.dead'], destinations: ['oncall'] },
        // Alerts (routed) and the delivered outcomes of every other destination: never its own.
        audit: { type: 'webhook', url: `${rx.url}/audit`, secret: SECRET, on: ['delivery.delivered'] },
      },
      routes: [{ match: { team: 'quiet' }, to: ['oncall'] }, { to: ['oncall', 'audit'] }],
    };
    t = await startTocsin(writeConfig(dir, config), { port });
  });
  after(async () => {
    await t?.kill();
    await rx?.close();
    await emu?.close();
  });

  const at = (path: string) => rx.received.filter((r) => r.path === path);
  const docs = (path: string) => at(path).map((r) => JSON.parse(r.body));

  test('delivered to incident.io → a signed delivery.delivered document', async () => {
    const r = await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Checkout latency', dedup_key: 'checkout-p99' } });
    assert.equal(r.status, 202);
    const alertId = r.body.results[0].id;
    await waitFor('the outcome', () => at('/outcomes').length >= 1);
    const [received] = at('/outcomes');
    assert.ok(received!.verified, 'signed with the Standard Webhooks headers');
    const doc = JSON.parse(received!.body);
    const delivery = (await http('GET', `${t.url}/api/v1/deliveries?alert_id=${alertId}&destination=oncall`, { token: ADMIN_TOKEN })).body.deliveries[0];
    assert.deepEqual(
      { ...doc, at: typeof doc.at, request_id: typeof doc.request_id },
      {
        type: 'delivery.delivered',
        delivery_id: delivery.id,
        destination: 'oncall',
        attempts: 1,
        alert_id: alertId,
        source: 'app',
        dedup_key: 'checkout-p99',
        key: 'app:checkout-p99',
        episode: 1,
        alert_status: 'firing',
        title: 'Checkout latency',
        status_code: 202,
        request_id: 'string',
        detail: 'firing event accepted',
        error: null,
        hint: null,
        at: 'string',
      },
    );
    assert.ok(Math.abs(Date.parse(doc.at) - Date.now()) < 10_000);
    // The audit webhook got the alert itself and the outcome of oncall's delivery — not of its own.
    await waitFor('audit: the alert and oncall\'s outcome', () => docs('/audit').length >= 2);
    await new Promise((res) => setTimeout(res, 800));
    const audit = docs('/audit');
    assert.deepEqual(audit.map((d) => [d.type, d.destination ?? null]).sort(), [
      ['alert.firing', null],
      ['delivery.delivered', 'oncall'],
    ]);
    assert.equal(docs('/outcomes').length, 1, 'nothing about the audit webhook (filtered) nor about outcome events themselves');
  });

  test('a 400 from incident.io → dead-lettered, and delivery.dead carries the status and the hint', async () => {
    await emu.fault({ path_prefix: '/v2/alert_events', count: 1, status: 400 });
    const r = await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Refused one', dedup_key: 'refused' } });
    assert.equal(r.status, 202);
    const dead = await waitFor('delivery.dead', () => docs('/outcomes').find((d) => d.type === 'delivery.dead'));
    assert.equal(dead.alert_id, r.body.results[0].id);
    assert.equal(dead.destination, 'oncall');
    assert.equal(dead.status_code, 400);
    assert.equal(dead.dedup_key, 'refused');
    assert.ok(typeof dead.hint === 'string' && dead.hint.length > 10, 'the hint says what to do');
    assert.ok(typeof dead.error === 'string');
    assert.ok(at('/outcomes').every((x) => x.verified));
    // audit subscribed to delivered only.
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(docs('/audit').filter((d) => d.type === 'delivery.dead').length, 0);
    // Each outcome has its own webhook-id.
    const ids = at('/outcomes').map((x) => x.headers['webhook-id']);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(!t.output.join('\n').includes(SECRET), 'the signing secret is never logged');
  });

  test("the events are the webhook's own deliveries: listed under it, and a dead one retried sends the same document", async () => {
    const rows = (await http('GET', `${t.url}/api/v1/deliveries?destination=outcomes`, { token: ADMIN_TOKEN })).body.deliveries;
    assert.ok(rows.length >= 2);
    assert.ok(rows.every((d: any) => /^outcome:\d+:\d+$/.test(d.alert_id) && d.status === 'delivered'), JSON.stringify(rows));
    // Each says which delivery, and whose alert, it reports on.
    for (const d of rows) {
      const [, deliveryId] = /^outcome:(\d+):/.exec(d.alert_id)!;
      const reported = (await http('GET', `${t.url}/api/v1/deliveries/${deliveryId}`, { token: ADMIN_TOKEN })).body.delivery;
      assert.deepEqual(d.reports_on, { event: `delivery.${reported.status}`, delivery_id: reported.id, alert_id: reported.alert_id });
    }
    // The receiver refuses the next event: dead-lettered like any delivery; a retry posts the same document again.
    // (Routed to oncall only, which refuses it: the only post is delivery.dead to /outcomes; audit wants delivered ones.)
    await emu.fault({ path_prefix: '/v2/alert_events', count: 1, status: 400 });
    rx.script.push({ status: 422, body: 'not now' });
    const before = at('/outcomes').length;
    await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Queue depth', dedup_key: 'queue-depth', metadata: { team: 'quiet' } } });
    const dead = await waitFor('the event dead-lettered', async () =>
      (await http('GET', `${t.url}/api/v1/deliveries?destination=outcomes&status=dead`, { token: ADMIN_TOKEN })).body.deliveries[0],
    );
    assert.equal(dead.last_status_code, 422);
    const refused = JSON.parse(at('/outcomes')[before]!.body);
    assert.equal((await http('POST', `${t.url}/api/v1/deliveries/${dead.id}/retry`, { token: ADMIN_TOKEN })).status, 200);
    await waitFor('the retry', () => at('/outcomes').length >= before + 2);
    const again = at('/outcomes')[before + 1]!;
    assert.deepEqual(JSON.parse(again.body), refused, 'the same outcome, not the alert state');
    assert.equal(again.headers['webhook-id'], at('/outcomes')[before]!.headers['webhook-id']);
    // Its own outcome (delivered now) is nobody's event: audit hears only of other destinations' alert deliveries.
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(docs('/audit').filter((d) => d.destination === 'outcomes').length, 0);
  });

  test('the web UI lists an outcome event under its webhook, linked to the alert it reports on', async () => {
    const browser = await launch();
    try {
      const { page, seen } = await newPage(browser);
      await logIn(page, t.url, ADMIN_TOKEN);
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      await page.goto(`${t.url}/ui/deliveries?destination=outcomes`);
      const table = page.getByRole('table', { name: 'Deliveries' });
      // The outcomes of the test above: 'Queue depth' dead-lettered at incident.io, its event retried.
      const link = table.getByRole('link', { name: 'Queue depth' }).first();
      await link.waitFor();
      assert.match((await table.innerText()).replace(/\s+/g, ' '), /delivery\.dead of #\d+: Queue depth/);
      const [alert] = (await http('GET', `${t.url}/api/v1/alerts?q=Queue%20depth`, { token: ADMIN_TOKEN })).body.alerts;
      assert.equal(await link.getAttribute('href'), `/ui/alerts/${encodeURIComponent(alert.id)}`);
      await link.click();
      await page.getByRole('heading', { level: 1, name: 'Queue depth' }).waitFor();
      assert.deepEqual(seen.errors, [], 'no console error (no read of an alert that does not exist)');
    } finally {
      await browser.close();
    }
  });
});
