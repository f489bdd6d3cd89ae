/**
 * The `slack` destination through a real `tocsin start`, against the Slack stand-in (test/standins/slack.ts — a
 * stand-in, not Slack): a bot posts on fire and updates the same message on resolve; an incoming webhook posts both;
 * sends to one channel keep Slack's one-a-second pace; a 429 with Retry-After is waited out; a wrong token
 * dead-letters with a hint; `tocsin test-connection` works; no token or webhook URL shows anywhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http, waitFor, type TocsinProcess } from '../harness.ts';
import { SlackStandin } from '../standins/slack.ts';
import { tocsin } from './cli-helpers.ts';
import { assertNoSecret, deliveries, ingest, startWith } from './dest-helpers.ts';

const TOKEN = 'xoxb-e2e-standin-token-5f2a9c';
const WRONG = 'xoxb-e2e-wrong-token-77d1e0';
const HOOK_PATH = '/services/T0E2E/B0E2E/hooksecret4b8e1d';

describe('slack destination, end to end', () => {
  let slack: SlackStandin;
  let t: TocsinProcess & { dir: string };
  const ids: string[] = [];
  const inChannel = (channel: string) => slack.messages.filter((m) => m.channel === channel);
  const posts = () => slack.requests.filter((r) => r.path === '/api/chat.postMessage');

  before(async () => {
    slack = await SlackStandin.start({ tokens: [TOKEN], channels: { alerts: 'C0ALERTS01', hooked: 'C0HOOKED01' }, hooks: { [HOOK_PATH]: 'C0HOOKED01' } });
    t = await startWith(
      {
        chat: { type: 'slack', token: TOKEN, channel: '#alerts', base_url: slack.apiUrl },
        hook: { type: 'slack', webhook_url: `${slack.url}${HOOK_PATH}` },
        wrong: { type: 'slack', token: WRONG, channel: '#alerts', base_url: slack.apiUrl },
      },
      {
        routes: [
          { match: { team: 'wrong' }, to: ['wrong'] },
          { match: { team: 'hooked' }, to: ['chat', 'hook'] },
          { to: ['chat'] },
        ],
      },
    );
  });
  after(async () => {
    await t?.kill();
    await slack?.close();
  });

  test('bot: fire posts a message, resolve updates that message in place; webhook: posts both', async () => {
    const id = await ingest(t, { title: 'Replica lag', dedup_key: 'lag', severity: 'warning', metadata: { team: 'hooked', db: 'orders' } });
    ids.push(id);
    await waitFor('both posts', () => inChannel('C0ALERTS01').length >= 1 && inChannel('C0HOOKED01').length >= 1);
    const posted = inChannel('C0ALERTS01')[0]!;
    assert.equal(posted.text, 'WARNING: Replica lag');
    await ingest(t, { title: 'Replica lag', dedup_key: 'lag', status: 'resolved' });
    await waitFor('the update', () => posted.edits >= 1 && inChannel('C0HOOKED01').length >= 2);
    assert.equal(inChannel('C0ALERTS01').length, 1, 'updated in place, not posted again');
    assert.equal(posted.text, 'Resolved: Replica lag');
    assert.equal(slack.requests.filter((r) => r.path === '/api/chat.update' && r.body.ts === posted.ts).length, 1);
    assert.deepEqual(inChannel('C0HOOKED01').map((m) => m.text), ['WARNING: Replica lag', 'Resolved: Replica lag']);
    const rows = await waitFor('recorded', async () => {
      const r = await deliveries(t, id);
      return r.length === 4 && r.every((d) => d.status === 'delivered') ? r : undefined;
    });
    assert.deepEqual(rows.map((d) => `${d.destination} ${d.sends}`).sort(), ['chat firing', 'chat resolved', 'hook firing', 'hook resolved']);
  });

  test("posts to one channel keep Slack's pace: one a second, no 429", async () => {
    const before = posts().length;
    for (let i = 0; i < 4; i++) ids.push(await ingest(t, { title: `Burst ${i}`, dedup_key: `burst-${i}` }));
    await waitFor('four posts', () => posts().length >= before + 4, 15_000);
    const times = posts().slice(before).map((r) => r.at);
    // Over the whole burst, not per gap: a loaded machine may delay one request and bunch it with the next.
    const span = times.at(-1)! - times[0]!;
    assert.ok(span >= 2500, `4 posts within ${span} ms (the pace is one a second)`);
    assert.equal(slack.requests.filter((r) => r.answer === 'ratelimited').length, 0);
  });

  test('a 429 with Retry-After is waited out, then the message is posted', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const before = slack.requests.length;
    slack.fail(1, { status: 429, retryAfter: '2', error: 'ratelimited' });
    const id = await ingest(t, { title: 'Queue depth', dedup_key: 'queue' });
    ids.push(id);
    const d = await waitFor('delivered', async () => (await deliveries(t, id)).find((r) => r.status === 'delivered'), 15_000);
    const tries = slack.requests.slice(before).filter((r) => r.path === '/api/chat.postMessage');
    assert.equal(tries[0]!.answer, 'ratelimited');
    assert.ok(tries[1]!.at - tries[0]!.at >= 1900, `retried after ${tries[1]!.at - tries[0]!.at} ms`);
    assert.equal(d.attempts, 2);
  });

  test('a wrong bot token: dead-lettered at once with a hint', async () => {
    const id = await ingest(t, { title: 'Wrong token', dedup_key: 'wrong', metadata: { team: 'wrong' } });
    ids.push(id);
    const d = await waitFor('dead letter', async () => (await deliveries(t, id)).find((r) => r.status === 'dead'));
    assert.equal(d.last_error, 'Slack: invalid_auth');
    assert.match(d.hint, /Bot User OAuth Token/);
    assert.equal(d.attempts, 1);
  });

  test('tocsin test-connection: posts a test message and updates it to resolved; a wrong token fails with the hint', async () => {
    const before = inChannel('C0ALERTS01').length;
    const r = await tocsin(['test-connection', 'chat', '--config', t.configPath]);
    assert.equal(r.code, 0, r.err + r.out);
    const m = inChannel('C0ALERTS01')[before]!;
    assert.equal(m.text, '[test] Resolved: tocsin connection test (chat)');
    assert.equal(m.edits, 1);
    const hook = await tocsin(['test-connection', 'hook', '--config', t.configPath]);
    assert.equal(hook.code, 0, hook.err + hook.out);
    const bad = await tocsin(['test-connection', 'wrong', '--config', t.configPath]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.out, /FAILED[\s\S]*invalid_auth[\s\S]*hint: .*Bot User OAuth Token/);
    for (const out of [r, hook, bad].flatMap((x) => [x.out, x.err])) for (const s of [TOKEN, WRONG, 'hooksecret4b8e1d']) assert.ok(!out.includes(s), 'a secret in CLI output');
  });

  test('no token or webhook URL in logs, API answers or delivery rows', async () => {
    await assertNoSecret(t, ids, [TOKEN, WRONG, 'hooksecret4b8e1d']);
  });
  test('every attempt is counted in /metrics by destination and outcome', async () => {
    const metrics = (await http('GET', `${t.url}/metrics`)).text;
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="chat",outcome="delivered"\} [1-9]/);
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="chat",outcome="retry"\} [1-9]/);
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="wrong",outcome="failed"\} [1-9]/);
  });
});
