/**
 * Acknowledgement (issue 9) through the real `tocsin start`: the signed link in a Slack and a Telegram notification
 * (test/standins/: stand-ins, not the real services), the incident.io emulator as the on-call step. A GET of the link
 * (what unfurlers and mail scanners do) changes nothing and the step fires on time; a POST acknowledges, stops the
 * step and updates both chat messages in place; a restart keeps it so; unacknowledging re-arms the step; tampered,
 * expired and other-episode links are refused with nothing changed; the secret shows nowhere.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signAck } from '../../src/ack/token.ts';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { SlackStandin } from '../standins/slack.ts';
import { TelegramStandin } from '../standins/telegram.ts';
import { tocsin } from './cli-helpers.ts';

const FEED = { id: '01GW2G3V0S59R238FAHPDS1R70', token: 'feed-source-token-0123456789' };
const ONCALL = { id: '01GW2G3V0S59R238FAHPDS1R71', token: 'oncall-source-token-0123456789' };
const SECRET = 'ack-secret-e2e-9c41d7f0b2a85e3d6c1f4a7b9e0d2c5f';
const SLACK_TOKEN = 'xoxb-ack-e2e-token-3f9a1c';
const TG_TOKEN = '123456:ACK-e2e-telegram-token-8d2b';
const TG_CHAT = -1001234500077;
const STEP_MS = 3000;

let emu: Emulator;
let slack: SlackStandin;
let tg: TelegramStandin;
const running: TocsinProcess[] = [];
/** One gateway for the tests that neither restart it nor change its config (each uses its own alert). */
let shared: TocsinProcess;

before(async () => {
  emu = await Emulator.start({ alertSources: [FEED, ONCALL] });
  slack = await SlackStandin.start({ tokens: [SLACK_TOKEN], channels: { alerts: 'C0ACKE2E01' } });
  tg = await TelegramStandin.start({ tokens: [TG_TOKEN], chats: [{ id: TG_CHAT }] });
  shared = await (await setup()).start();
});
after(async () => {
  for (const t of running) await t.kill('SIGKILL').catch(() => undefined);
  await slack?.close();
  await tg?.close();
  await emu?.close();
});

async function setup(ack = true) {
  const dir = tempDir();
  const port = await freePort();
  const io = (s: typeof FEED) => ({ type: 'incident_io_alert_source', alert_source_config_id: s.id, token: s.token, base_url: emu.url });
  const path = writeConfig(dir, {
    listen: `127.0.0.1:${port}`,
    storage: { sqlite: `${dir}/tocsin.db` },
    admin_token: ADMIN_TOKEN,
    log_level: 'debug',
    sources: { app: { type: 'alerts', token: APP_TOKEN } },
    destinations: {
      chat: { type: 'slack', token: SLACK_TOKEN, channel: '#alerts', base_url: slack.apiUrl },
      tg: { type: 'telegram', token: TG_TOKEN, chat_id: TG_CHAT, base_url: tg.url },
      feed: io(FEED),
      oncall: io(ONCALL),
    },
    routes: [{ escalation: [{ notify: ['chat', 'tg', 'feed'] }, { after: `${STEP_MS}ms`, to: ['oncall'] }] }],
    delivery: { poll_interval: '100ms', retry_base_delay: '100ms' },
    // The secret from the environment, as a deployment would give it.
    ...(ack ? { ack: { secret: '${TOCSIN_ACK_SECRET}', public_url: `http://127.0.0.1:${port}/`, link_ttl: '1h' } } : {}),
  });
  const start = async () => {
    const t = await startTocsin(path, { port, env: { TOCSIN_ACK_SECRET: SECRET } });
    running.push(t);
    return t;
  };
  return { start, path, port };
}

const oncallEvents = async () => (await emu.requests(`/v2/alert_events/http/${ONCALL.id}`)).filter((r) => r.status === 202);
const feedEvents = async () => (await emu.requests(`/v2/alert_events/http/${FEED.id}`)).filter((r) => r.status === 202);

async function fire(t: TocsinProcess, key: string, status = 'firing') {
  const r = await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: `Checkout down ${key}`, dedup_key: key, status, severity: 'critical' } });
  assert.equal(r.status, 202, r.text);
  return r.body.results[0].id as string;
}

const alert = async (t: TocsinProcess, id: string) => (await http('GET', `${t.url}/api/v1/alerts/${id}`, { token: ADMIN_TOKEN })).body;
const slackMessage = (key: string) => slack.messages.find((m) => m.text.endsWith(`Checkout down ${key}`));
const tgMessage = (key: string) => tg.messages.find((m) => m.text.includes(`Checkout down ${key}`));

/** The Slack message's Acknowledge button URL (and the same link in Telegram's text). */
async function linkFor(key: string): Promise<string> {
  const m = await waitFor('the Slack message', () => slackMessage(key));
  const button = m.blocks.find((b) => b.type === 'actions')?.elements?.[0];
  assert.equal(button?.text?.text, 'Acknowledge');
  const tgm = await waitFor('the Telegram message', () => tgMessage(key));
  assert.ok(tgm.html.includes(`<a href="${button.url.replace(/&/g, '&amp;')}">Acknowledge</a>`), 'the same link in Telegram');
  return button.url as string;
}

const postForm = (url: string, form: Record<string, string>) =>
  http('POST', url, { raw: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

test('a GET of the link (a scanner) changes nothing: the step fires on time', async () => {
  const t = shared;
  const firedAt = Date.now();
  const id = await fire(t, 'scanned');
  const link = await linkFor('scanned');
  assert.ok(link.startsWith(`${t.url}/ack/`));
  const page = await http('GET', link);
  assert.equal(page.status, 200);
  assert.match(page.text, /Acknowledge this alert\?/);
  assert.match(page.text, /Checkout down scanned/);
  assert.match(page.text, /<form method="post">/);
  assert.doesNotMatch(page.text, /<script/i);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
  assert.equal(page.headers['referrer-policy'], 'no-referrer');
  await http('HEAD', link);
  assert.equal((await alert(t, id)).alert.state, 'firing', 'GET does not acknowledge');
  await waitFor('the on-call step', async () => (await oncallEvents()).some((r) => r.body.title === 'Checkout down scanned'), STEP_MS + 3000);
  assert.ok(Date.now() - firedAt >= STEP_MS, 'not before it was due');
});

test('a POST acknowledges: the step never fires, Slack is updated with chat.update and Telegram with editMessageText; incident.io hears nothing of it', async () => {
  const t = shared;
  const id = await fire(t, 'acked');
  const link = await linkFor('acked');
  await waitFor('the firing at the feed', async () => (await feedEvents()).some((r) => r.body.title === 'Checkout down acked'));
  assert.equal((await feedEvents()).find((r) => r.body.title === 'Checkout down acked')!.body.metadata.tocsin_ack_url, link, 'the link in incident.io metadata');

  const done = await postForm(link, { by: 'alice' });
  assert.equal(done.status, 200, done.text);
  assert.match(done.text, /Acknowledged by alice/);
  const detail = await alert(t, id);
  assert.equal(detail.alert.state, 'acknowledged');
  const tr = detail.transitions.find((x: { kind: string }) => x.kind === 'acknowledged');
  assert.equal(tr.actor, 'alice');

  const slackMsg = slackMessage('acked')!;
  await waitFor('chat.update', () => slackMsg.edits >= 1);
  const update = slack.requests.filter((r) => r.path === '/api/chat.update' && r.body.ts === slackMsg.ts).at(-1)!;
  assert.equal(update.body.text, 'Acknowledged: Checkout down acked');
  assert.match(JSON.stringify(update.body.blocks), /ACKNOWLEDGED\* by alice/);
  assert.ok(!update.body.blocks.some((b: { type: string }) => b.type === 'actions'), 'no button once acknowledged');
  assert.equal(slack.messages.filter((m) => m.text.includes('Checkout down acked')).length, 1, 'updated in place');
  const tgMsg = tgMessage('acked')!;
  await waitFor('editMessageText', () => tgMsg.edits >= 1);
  assert.ok(tg.requests.some((r) => r.method === 'editMessageText' && r.body.message_id === tgMsg.messageId));
  assert.match(tgMsg.text, /ACKNOWLEDGED by alice/);

  const again = await postForm(link, {});
  assert.equal(again.status, 200);
  assert.match(again.text, /already acknowledged/i);

  await new Promise((r) => setTimeout(r, STEP_MS + 800));
  assert.deepEqual((await oncallEvents()).filter((r) => r.body.title === 'Checkout down acked'), [], 'on-call never paged');
  assert.equal((await feedEvents()).filter((r) => r.body.title === 'Checkout down acked').length, 1, 'incident.io got only the firing');
  assert.deepEqual((await alert(t, id)).escalations.map((e: { status: string; reason: string }) => [e.status, e.reason]), [['cancelled', 'acknowledged']]);
});

test('kill -9 after the ack inside the window: the step stays cancelled; unack after the restart re-arms it, fired exactly once', async () => {
  const { start } = await setup();
  let t = await start();
  const firedAt = Date.now();
  const id = await fire(t, 'restart');
  const link = await linkFor('restart');
  assert.equal((await postForm(link, {})).status, 200);
  assert.equal((await alert(t, id)).transitions.find((x: { kind: string }) => x.kind === 'acknowledged').actor, 'link');
  await t.kill('SIGKILL');
  t = await start();
  // Past the step's time by a poll or two (the restart itself may already have taken that long).
  await new Promise((r) => setTimeout(r, Math.max(0, firedAt + STEP_MS + 800 - Date.now())));
  assert.deepEqual((await oncallEvents()).filter((r) => r.body.title === 'Checkout down restart'), []);

  // Taken back after the step's time: due at once.
  const un = await tocsin(['unack', id, '--by', 'bob', '--gateway', t.url, '--admin-token', ADMIN_TOKEN]);
  assert.equal(un.code, 0, un.err);
  assert.match(un.out, /is firing/);
  await waitFor('the re-armed step', async () => (await oncallEvents()).some((r) => r.body.title === 'Checkout down restart'), 3000);
  const detail = await alert(t, id);
  assert.equal(detail.transitions.find((x: { kind: string }) => x.kind === 'unacknowledged').actor, 'bob');
  assert.deepEqual(detail.escalations.map((e: { status: string }) => e.status), ['fired']);
  await waitFor('Slack shows firing again, with a fresh button', () => {
    const u = slack.requests.filter((r) => r.path === '/api/chat.update' && r.body.ts === slackMessage('restart')!.ts).at(-1);
    return u && u.body.text === 'CRITICAL: Checkout down restart' && u.body.blocks.some((b: { type: string }) => b.type === 'actions');
  });
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await oncallEvents()).filter((r) => r.body.title === 'Checkout down restart').length, 1, 'exactly once');
});

test('unack before the step is due: it fires at its own time, not earlier; the API records who', async () => {
  const t = shared;
  const firedAt = Date.now();
  const id = await fire(t, 'rearm');
  const ack = await http('POST', `${t.url}/api/v1/alerts/${id}/acknowledge`, { token: ADMIN_TOKEN, body: { by: 'carol' } });
  assert.equal(ack.status, 200, ack.text);
  assert.equal(ack.body.alert.state, 'acknowledged');
  const un = await http('POST', `${t.url}/api/v1/alerts/${id}/unacknowledge`, { token: ADMIN_TOKEN, body: { by: 'dave' } });
  assert.equal(un.status, 200, un.text);
  assert.equal(un.body.alert.state, 'firing');
  assert.ok(Date.now() - firedAt < STEP_MS - 500, 'taken back well before the step was due');
  await waitFor('the step', async () => (await oncallEvents()).some((r) => r.body.title === 'Checkout down rearm'), STEP_MS + 3000);
  assert.ok(Date.now() - firedAt >= STEP_MS, `fired ${Date.now() - firedAt} ms after the alert: not before it was due`);
  const kinds = (await alert(t, id)).transitions.map((x: { kind: string; actor: string }) => `${x.kind}:${x.actor}`);
  assert.ok(kinds.includes('acknowledged:carol') && kinds.includes('unacknowledged:dave'), kinds.join(', '));
  const bad = await http('POST', `${t.url}/api/v1/alerts/${id}/acknowledge`, { token: ADMIN_TOKEN, body: { who: 'x' } });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /who/);
});

test('tampered (403), expired and other-episode (410) links change nothing; a resolved alert says so; the secret shows nowhere', async () => {
  const t = shared;
  const id = await fire(t, 'refused');
  const link = await linkFor('refused');
  const token = link.slice(link.lastIndexOf('/') + 1);
  const [msg, mac] = token.split('.') as [string, string];

  const tampered = await http('GET', `${t.url}/ack/${msg}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`);
  assert.equal(tampered.status, 403);
  assert.match(tampered.text, /not valid/);
  assert.equal((await postForm(`${t.url}/ack/${msg}x.${mac}`, {})).status, 403);
  assert.equal((await http('GET', `${t.url}/ack/${'a'.repeat(300)}.${mac}`)).status, 403, 'a long token is refused as invalid, not a bare 414');
  const expired = signAck(SECRET, { alertId: id, episode: 1, expiresAt: Math.floor(Date.now() / 1000) - 5 });
  const exp = await postForm(`${t.url}/ack/${expired}`, {});
  assert.equal(exp.status, 410);
  assert.match(exp.text, /expired/);
  assert.equal((await alert(t, id)).alert.state, 'firing', 'nothing changed');

  await fire(t, 'refused', 'resolved');
  const resolvedPage = await http('GET', link);
  assert.equal(resolvedPage.status, 200);
  assert.match(resolvedPage.text, /already resolved/);
  assert.equal((await postForm(link, {})).status, 409);
  await fire(t, 'refused');
  const other = await postForm(link, {});
  assert.equal(other.status, 410);
  assert.match(other.text, /earlier episode/);
  const now = await alert(t, id);
  assert.equal(now.alert.state, 'firing');
  assert.equal(now.alert.episode, 2);

  // The secret: not in logs, API answers, stored payloads; the link's token not in request logs either.
  const texts = [
    t.output.join('\n'),
    (await http('GET', `${t.url}/api/v1/destinations`, { token: ADMIN_TOKEN })).text,
    (await http('GET', `${t.url}/api/v1/deliveries?alert_id=${id}`, { token: ADMIN_TOKEN })).text,
    JSON.stringify(now),
  ];
  for (const text of texts) assert.ok(!text.includes(SECRET), 'the ack secret leaked');
  // Not stored: neither in the queued payloads nor in the answers kept with the attempts (Slack echoes the message).
  assert.doesNotMatch(texts[2]!, /\/ack\/[A-Za-z0-9_-]{8}/, 'no ack token stored with the deliveries');
  assert.ok(!t.output.join('\n').includes(mac), 'the link token is not logged');
  assert.ok(t.output.some((l) => l.includes('/ack/…')), 'requests to /ack are logged without the token');
  const check = await tocsin(['check-config', '--config', t.configPath], { TOCSIN_ACK_SECRET: SECRET });
  assert.match(check.out, /ack links +http:\/\/127\.0\.0\.1:\d+\/ack\/…, valid 1h/);
  assert.ok(!`${check.out}${check.err}`.includes(SECRET));
});

test('without ack: no link in messages, /ack answers 404 with a hint, check-config warns; tocsin ack --by', async () => {
  const { start, path } = await setup(false);
  const t = await start();
  const id = await fire(t, 'nolink');
  const m = await waitFor('the Slack message', () => slackMessage('nolink'));
  assert.ok(!m.blocks.some((b) => b.type === 'actions'));
  const page = await http('GET', `${t.url}/ack/abc.def`);
  assert.equal(page.status, 404);
  assert.match(page.text, /ack\.secret/);
  const check = await tocsin(['check-config', '--config', path]);
  assert.match(`${check.out}${check.err}`, /ack: not configured: notifications to chat, tg carry no acknowledge link/);
  assert.match(check.out, /ack links +off/);
  const ack = await tocsin(['ack', id, '--by', 'frank', '--gateway', t.url, '--admin-token', ADMIN_TOKEN]);
  assert.equal(ack.code, 0, ack.err);
  assert.match(ack.out, /is acknowledged/);
  assert.equal((await alert(t, id)).transitions.find((x: { kind: string }) => x.kind === 'acknowledged').actor, 'frank');
  await waitFor('Slack says so', () => slackMessage('nolink')!.edits >= 1);
});
