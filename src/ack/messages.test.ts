/** The acknowledged state and the ack link in what each destination builds (pure builders; src/destinations/). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockProblem } from '../../test/standins/slack.ts';
import { deliveryPayload } from '../../test/payloads.ts';
import { buildMail } from '../destinations/email/mail.ts';
import { buildAlertEvent } from '../destinations/incident-io/alert-event-payload.ts';
import { buildCard } from '../destinations/msteams/card.ts';
import { buildMessage } from '../destinations/slack/message.ts';
import { buildText } from '../destinations/telegram/text.ts';
import { alertDocument } from '../destinations/webhook/document.ts';
import { confirmPage, problemPage } from './pages.ts';

const URL = 'https://tocsin.example.com/ack/abc.def';
const firing = deliveryPayload({ severity: 'critical' });
const acked = deliveryPayload({ severity: 'critical', acknowledged: { at: 5_000, by: 'alice <script>' } });

test('slack: a button while firing; ACKNOWLEDGED by whom, no button, once acknowledged; valid Block Kit', () => {
  const m = buildMessage(firing, URL);
  assert.equal(blockProblem(m.blocks), undefined);
  assert.deepEqual(m.blocks.at(-1), { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Acknowledge' }, url: URL, action_id: 'tocsin_ack', style: 'primary' }] });
  const a = buildMessage(acked, URL);
  assert.equal(blockProblem(a.blocks), undefined);
  assert.ok(!JSON.stringify(a).includes(URL));
  assert.match(JSON.stringify(a.blocks), /ACKNOWLEDGED\* by alice &lt;script&gt;/);
  assert.equal(a.text, 'Acknowledged: Disk full');
  assert.ok(!JSON.stringify(buildMessage({ ...firing, status: 'resolved' }, URL)).includes(URL));
  assert.ok(!JSON.stringify(buildMessage(firing)).includes('actions'), 'no link configured: no button');
});

test('telegram: an escaped link while firing; acknowledged without it', () => {
  assert.match(buildText(firing, `${URL}&x"`), /<a href="https:\/\/tocsin\.example\.com\/ack\/abc\.def&amp;x&quot;">Acknowledge<\/a>/);
  const a = buildText(acked, URL);
  assert.match(a, /ACKNOWLEDGED<\/b> by alice &lt;script&gt;/);
  assert.ok(!a.includes(URL));
});

test('email: the link in text and HTML while firing; the status header says acknowledged', () => {
  const m = buildMail(firing, 'example.com', '[tocsin] ', undefined, URL);
  assert.ok(m.text.includes(URL));
  assert.ok(m.html.includes(`<a href="${URL}"`));
  const a = buildMail(acked, 'example.com', '[tocsin] ', { root: '<r@example.com>', subject: 's' }, URL);
  assert.equal(a.headers['X-Tocsin-Status'], 'acknowledged');
  assert.ok(!a.text.includes(URL) && !a.html.includes(URL));
  assert.match(a.html, /ACKNOWLEDGED by alice &lt;script&gt;/);
});

test('msteams: an Action.OpenUrl while firing; acknowledged without it', () => {
  const c = buildCard(firing, URL).attachments[0]!.content;
  assert.deepEqual(c['actions'], [{ type: 'Action.OpenUrl', title: 'Acknowledge', url: URL }]);
  const a = buildCard(acked, URL).attachments[0]!.content;
  assert.equal(a['actions'], undefined);
  assert.match(JSON.stringify(a['body']), /ACKNOWLEDGED by alice/);
});

test('webhook document: ack_url while firing; type alert.acknowledged with who and when', () => {
  const d = alertDocument(firing, URL);
  assert.equal(d.type, 'alert.firing');
  assert.equal(d.ack_url, URL);
  assert.equal(d.acknowledged, null);
  const a = alertDocument(acked, URL);
  assert.equal(a.type, 'alert.acknowledged');
  assert.equal(a.status, 'firing');
  assert.deepEqual(a.acknowledged, { at: '1970-01-01T00:00:05.000Z', by: 'alice <script>' });
  assert.equal(a.ack_url, null);
  assert.equal(alertDocument({ ...firing, status: 'resolved' }, URL).ack_url, null);
});

test('incident.io alert event: status stays firing when acknowledged; the link as metadata tocsin_ack_url', () => {
  assert.equal(buildAlertEvent(acked, {}).status, 'firing');
  assert.equal(buildAlertEvent(firing, {}, URL).metadata?.['tocsin_ack_url'], URL);
  assert.equal(buildAlertEvent(firing, {}).metadata?.['tocsin_ack_url'], undefined);
});

test('the confirmation page escapes the alert and has no script; problems have their status', () => {
  const a = { title: '<img src=x onerror=alert(1)>"', source: 'app', state: 'firing', episode: 1, severity: null, createdAt: 0, acknowledgedAt: null };
  const page = confirmPage(a);
  assert.equal(page.status, 200);
  assert.ok(!page.html.includes('<img') && page.html.includes('&lt;img src=x onerror=alert(1)&gt;&quot;'));
  assert.ok(!/<script/i.test(page.html));
  assert.match(page.html, /<form method="post">/);
  assert.doesNotMatch(confirmPage({ ...a, state: 'resolved' }).html, /<form/);
  assert.equal(problemPage('invalid').status, 403);
  assert.equal(problemPage('expired', a).status, 410);
  assert.equal(problemPage('other_episode', a).status, 410);
  assert.equal(problemPage('not_configured').status, 404);
});
