import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseHtml, TelegramStandin } from '../../../test/standins/telegram.ts';
import type { SendOutcome } from '../types.ts';
import { telegramConfig } from './config.ts';
import { createTelegramDestination, telegramDestination } from './telegram.ts';
import { buildText, fit, MAX_TEXT } from './text.ts';
import { deliveryPayload } from '../../../test/payloads.ts';

const TOKEN = '987654321:AAUnitTestTokenUnitTestToken0123456';
const WRONG = '987654321:AAWrongTokenWrongTokenWrongToken99';
const CHAT = -1009876543210;
let tg: TelegramStandin;
before(async () => {
  tg = await TelegramStandin.start({
    tokens: [TOKEN],
    chats: [
      { id: CHAT, username: 'opsalerts' },
      { id: -1001111111111, member: false },
      { id: -222222, migrateTo: -1003333333333 },
    ],
    perChatPerMinute: 1000,
  });
});
after(() => tg.close());

const p = deliveryPayload;
const bot = (over: Record<string, unknown> = {}) => createTelegramDestination('tg', telegramConfig.parse({ type: 'telegram', token: TOKEN, chat_id: CHAT, base_url: tg.url, ...over }));
const secretFree = (o: SendOutcome) => {
  const text = JSON.stringify(o);
  for (const s of [TOKEN, WRONG, 'AAUnitTest', 'AAWrong']) assert.ok(!text.includes(s), `${s} in ${text}`);
};
const visible = (html: string) => {
  const r = parseHtml(html);
  assert.ok('text' in r, `not Telegram HTML: ${'error' in r ? r.error : ''}`);
  return r.text;
};

describe('the text', () => {
  test("HTML that Telegram parses; the sender's text escaped, never markup", () => {
    const html = buildText(p({ title: '<b>x</b> & "y"', severity: 'critical', description: 'a < b', metadata: { host: 'db1', tags: ['a', 'b'] }, sourceUrl: 'https://g.example/d?a=1&b=2' }));
    const text = visible(html);
    assert.match(html, /^🔴 <b>CRITICAL<\/b> · app\n<b>&lt;b&gt;x&lt;\/b&gt; &amp; &quot;y&quot;<\/b>/);
    assert.match(text, /<b>x<\/b> & "y"/);
    assert.match(text, /a < b/);
    assert.match(html, /<b>host<\/b>: db1\n<b>tags<\/b>: a, b/);
    assert.match(html, /<a href="https:\/\/g\.example\/d\?a=1&amp;b=2">source<\/a>$/);
  });

  test('resolve and test messages say so; a non-http source_url is no link', () => {
    const html = buildText(p({ status: 'resolved', test: true, sourceUrl: 'javascript:alert(1)' }));
    assert.match(html, /^✅ <b>RESOLVED<\/b> · app\n<b>\[test\] Resolved: Disk full<\/b>/);
    assert.ok(!html.includes('<a '));
  });

  test("always within Telegram's 4096 characters, however large the alert", () => {
    const metadata = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}&`, '<&>'.repeat(500)]));
    for (const over of [{ metadata }, { description: '&'.repeat(50_000), metadata }, { title: '😀'.repeat(5000), description: '<'.repeat(9999), metadata, sourceUrl: `https://x.example/?${'a&'.repeat(400)}` }]) {
      const html = buildText(p(over));
      assert.ok(html.length <= MAX_TEXT, `${html.length} units`);
      visible(html);
    }
    assert.equal(fit('a😀b', 3), 'a…', 'a cut never splits a surrogate pair');
    assert.equal(fit('a&b', 6), 'a…', 'a cut never splits an entity');
  });
});

describe('the bot', () => {
  test('fire sends, later states edit that message; state keeps the numeric chat id and message_id', async () => {
    const d = bot({ chat_id: '@opsalerts' });
    const fired = await d.send(p(), undefined);
    assert.equal(fired.kind, 'delivered');
    const state = fired.kind === 'delivered' ? fired.state : undefined;
    assert.equal(state?.['chat_id'], CHAT, 'the id Telegram answered, not @opsalerts');
    const resolved = await d.send(p({ status: 'resolved' }), state);
    assert.equal(resolved.kind, 'delivered');
    assert.deepEqual(resolved.kind === 'delivered' ? resolved.state : undefined, state);
    const m = tg.messages.find((x) => x.messageId === state?.['message_id'])!;
    assert.equal(m.edits, 1);
    assert.match(m.text, /Resolved: Disk full/);
    // The same edit again (a retry whose answer was lost): "message is not modified" is delivered.
    const again = await d.send(p({ status: 'resolved' }), state);
    assert.equal(again.kind, 'delivered');
    assert.match(again.kind === 'delivered' ? again.detail! : '', /already up to date/);
    await d.close?.();
  });

  test('a message that can no longer be edited: a new one is sent and remembered', async () => {
    const d = bot();
    const out = await d.send(p({ status: 'resolved' }), { chat_id: CHAT, message_id: 99_999 });
    assert.equal(out.kind, 'delivered');
    assert.match(out.kind === 'delivered' ? out.detail! : '', /could not be edited \(Bad Request: message to edit not found\)/);
    assert.notEqual(out.kind === 'delivered' ? out.state?.['message_id'] : 99_999, 99_999);
    await d.close?.();
  });

  test('429 waits parameters.retry_after; 5xx retried', async () => {
    const d = bot();
    tg.fail(1, { status: 429, retryAfter: 13 });
    const out = await d.send(p(), undefined);
    assert.equal(out.kind, 'retry');
    assert.equal(out.kind === 'retry' ? out.retryAfterMs : 0, 13_000);
    assert.equal(out.kind === 'retry' ? out.error : '', 'Telegram 429: Too Many Requests: retry after 13');
    tg.fail(1, { status: 502, description: 'Bad Gateway' });
    assert.equal((await d.send(p(), undefined)).kind, 'retry');
    await d.close?.();
  });

  test('final answers with hints; no token in any of it', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ token: WRONG }, 'Telegram 401: Unauthorized', /@BotFather/],
      [{ chat_id: -1000000000001 }, 'Telegram 400: Bad Request: chat not found', /numeric id/],
      [{ chat_id: -1001111111111 }, 'Telegram 403: Forbidden: bot is not a member of the group chat', /add it/],
      [{ chat_id: -222222 }, 'Telegram 400: Bad Request: group chat was upgraded to a supergroup chat', /set chat_id: -1003333333333/],
      [{ base_url: `${tg.url}/nowhere` }, 'Telegram 404: Not Found', /base_url/],
    ];
    for (const [over, error, hint] of cases) {
      const d = bot(over);
      const out = await d.send(p(), undefined);
      assert.equal(out.kind, 'failed', error);
      assert.equal(out.kind === 'failed' ? out.error : '', error);
      assert.match(out.kind === 'failed' ? out.hint : '', hint);
      secretFree(out);
      await d.close?.();
    }
  });

  test('a connection test is sent silently', async () => {
    const d = bot();
    const out = await d.send(p({ test: true }), undefined);
    const m = tg.messages.find((x) => x.messageId === (out.kind === 'delivered' ? out.state?.['message_id'] : -1))!;
    assert.equal(m.silent, true);
    await d.close?.();
  });

  test('config: a bot token and a chat are required; the target never holds the token; defaults keep to 20 a minute', () => {
    assert.equal(telegramConfig.safeParse({ type: 'telegram', chat_id: 1 }).success, false);
    for (const token of ['nope', `bot${TOKEN}`, `${TOKEN}/x`, `${TOKEN}?a=1`]) assert.equal(telegramConfig.safeParse({ type: 'telegram', token, chat_id: 1 }).success, false, token);
    assert.equal(telegramConfig.safeParse({ type: 'telegram', token: TOKEN, chat_id: 'general' }).success, false);
    const c = telegramConfig.parse({ type: 'telegram', token: TOKEN, chat_id: '-1001234' });
    assert.deepEqual([c.base_url, c.rate_limit_per_minute, c.rate_limit_burst], ['https://api.telegram.org', 20, 1]);
    const target = telegramDestination.target(c);
    assert.equal(target, 'telegram https://api.telegram.org chat -1001234');
  });
});
