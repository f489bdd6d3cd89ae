/**
 * The `telegram` destination through a real `tocsin start`, against the Bot API stand-in (test/standins/telegram.ts —
 * a stand-in, not Telegram): fire sends a message and resolve edits that same message; sends to one chat keep the
 * default 20 a minute, one at a time; a 429 with parameters.retry_after is waited out; a wrong token and an unknown
 * chat dead-letter with hints; `tocsin test-connection` works; the bot token shows nowhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http, waitFor, type TocsinProcess } from '../harness.ts';
import { TelegramStandin } from '../standins/telegram.ts';
import { tocsin } from './cli-helpers.ts';
import { assertNoSecret, deliveries, ingest, startWith } from './dest-helpers.ts';

const TOKEN = '5550001111:AAe2eTelegramTokenQwErTy0123456789';
const WRONG = '5550001111:AAe2eWrongTokenZxCvBn9876543210xx';
const CHAT = -1005550001111;

describe('telegram destination, end to end', () => {
  let tg: TelegramStandin;
  let t: TocsinProcess & { dir: string };
  const ids: string[] = [];
  const sends = () => tg.requests.filter((r) => r.method === 'sendMessage');

  before(async () => {
    tg = await TelegramStandin.start({ tokens: [TOKEN], chats: [{ id: CHAT, username: 'e2ealerts' }] });
    t = await startWith(
      {
        tg: { type: 'telegram', token: TOKEN, chat_id: CHAT, base_url: tg.url },
        wrong: { type: 'telegram', token: WRONG, chat_id: CHAT, base_url: tg.url },
        nochat: { type: 'telegram', token: TOKEN, chat_id: '@nosuchchat', base_url: tg.url },
      },
      {
        routes: [
          { match: { team: 'wrong' }, to: ['wrong'] },
          { match: { team: 'nochat' }, to: ['nochat'] },
          { to: ['tg'] },
        ],
      },
    );
  });
  after(async () => {
    await t?.kill();
    await tg?.close();
  });

  test('fire sends a message; resolve edits that same message', async () => {
    const id = await ingest(t, { title: 'Replica lag', dedup_key: 'lag', severity: 'warning', metadata: { db: 'orders <main>' } });
    ids.push(id);
    const m = await waitFor('the message', () => tg.messages.find((x) => x.text.includes('Replica lag')));
    assert.match(m.text, /^🟡 WARNING · app\nReplica lag\n\ndb: orders <main>\n\napp:lag · episode 1 · /);
    assert.equal(m.chatId, CHAT);
    await ingest(t, { title: 'Replica lag', dedup_key: 'lag', status: 'resolved' });
    await waitFor('the edit', () => m.edits >= 1, 15_000);
    assert.match(m.text, /^✅ RESOLVED · app\nResolved: Replica lag/);
    assert.equal(tg.messages.filter((x) => x.text.includes('Replica lag')).length, 1, 'edited in place, not sent again');
    const rows = await waitFor('recorded', async () => {
      const r = await deliveries(t, id);
      return r.length === 2 && r.every((d) => d.status === 'delivered') ? r : undefined;
    });
    assert.deepEqual(rows.map((d) => d.sends).sort(), ['firing', 'resolved']);
  });

  test('sends to one chat keep the default pace (20 a minute, one at a time): no 429', async () => {
    const before = sends().length;
    for (let i = 0; i < 3; i++) ids.push(await ingest(t, { title: `Burst ${i}`, dedup_key: `burst-${i}` }));
    await waitFor('three sends', () => sends().length >= before + 3, 20_000);
    const times = sends().slice(before).map((r) => r.at);
    const span = times.at(-1)! - times[0]!;
    // Three sends are two 3-second gaps; over the whole burst, so one delayed request on a loaded machine does not matter.
    assert.ok(span >= 5500, `3 sends within ${span} ms (the pace is one every 3 s)`);
    assert.equal(tg.requests.filter((r) => r.answer.startsWith('Too Many Requests')).length, 0);
  });

  test('a 429 with parameters.retry_after is waited out, then the message is sent', async () => {
    await new Promise((r) => setTimeout(r, 3100));
    const before = tg.requests.length;
    tg.fail(1, { status: 429, retryAfter: 4 });
    const id = await ingest(t, { title: 'Queue depth', dedup_key: 'queue' });
    ids.push(id);
    const d = await waitFor('delivered', async () => (await deliveries(t, id)).find((r) => r.status === 'delivered'), 20_000);
    const tries = tg.requests.slice(before).filter((r) => r.method === 'sendMessage');
    assert.equal(tries[0]!.answer, 'Too Many Requests: retry after 4');
    assert.ok(tries[1]!.at - tries[0]!.at >= 3900, `retried after ${tries[1]!.at - tries[0]!.at} ms`);
    assert.equal(d.attempts, 2);
  });

  test('a wrong token and an unknown chat: dead-lettered at once with hints', async () => {
    const wrong = await ingest(t, { title: 'Wrong token', dedup_key: 'wrong', metadata: { team: 'wrong' } });
    const nochat = await ingest(t, { title: 'No chat', dedup_key: 'nochat', metadata: { team: 'nochat' } });
    ids.push(wrong, nochat);
    const w = await waitFor('dead letter', async () => (await deliveries(t, wrong)).find((r) => r.status === 'dead'));
    assert.equal(w.last_error, 'Telegram 401: Unauthorized');
    assert.match(w.hint, /@BotFather/);
    assert.equal(w.attempts, 1);
    const n = await waitFor('dead letter', async () => (await deliveries(t, nochat)).find((r) => r.status === 'dead'));
    assert.equal(n.last_error, 'Telegram 400: Bad Request: chat not found');
    assert.match(n.hint, /chat_id/);
  });

  test('tocsin test-connection: sends a silent test message and edits it to resolved; a wrong token fails with the hint', async () => {
    const r = await tocsin(['test-connection', 'tg', '--config', t.configPath]);
    assert.equal(r.code, 0, r.err + r.out);
    const m = tg.messages.at(-1)!;
    assert.match(m.text, /\[test\] Resolved: tocsin connection test \(tg\)/);
    assert.equal(m.edits, 1);
    assert.equal(m.silent, true);
    const bad = await tocsin(['test-connection', 'wrong', '--config', t.configPath]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.out, /FAILED[\s\S]*Unauthorized[\s\S]*hint: .*@BotFather/);
    for (const out of [r, bad].flatMap((x) => [x.out, x.err])) for (const s of [TOKEN, WRONG, 'AAe2e']) assert.ok(!out.includes(s), 'a secret in CLI output');
  });

  test('no bot token in logs, API answers or delivery rows', async () => {
    await assertNoSecret(t, ids, [TOKEN, WRONG, 'AAe2e']);
  });

  test('every attempt is counted in /metrics by destination and outcome', async () => {
    const metrics = (await http('GET', `${t.url}/metrics`)).text;
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="tg",outcome="delivered"\} [1-9]/);
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="tg",outcome="retry"\} [1-9]/);
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="wrong",outcome="failed"\} [1-9]/);
  });
});
