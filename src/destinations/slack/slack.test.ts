import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SlackStandin } from '../../../test/standins/slack.ts';
import type { SendOutcome } from '../types.ts';
import { slackConfig } from './config.ts';
import { createSlackDestination, slackDestination } from './slack.ts';
import { deliveryPayload } from '../../../test/payloads.ts';

const TOKEN = 'xoxb-standin-token-0123456789';
let slack: SlackStandin;
before(async () => {
  slack = await SlackStandin.start({ tokens: [TOKEN], channels: { alerts: 'C0ALERTS01', closed: 'C0CLOSED01' }, member: ['C0ALERTS01'], perChannelPerSecond: 100 });
});
after(() => slack.close());

const p = deliveryPayload;
const bot = (over: Record<string, unknown> = {}) => createSlackDestination('s', slackConfig.parse({ type: 'slack', token: TOKEN, channel: '#alerts', base_url: slack.apiUrl, ...over }));
const secretFree = (o: SendOutcome, secrets: string[]) => {
  const text = JSON.stringify(o);
  for (const s of secrets) assert.ok(!text.includes(s), `${s} in ${text}`);
};

describe('bot token + channel', () => {
  test('fire posts, later states update the same message in place; state keeps the channel ID and ts', async () => {
    const d = bot();
    const fired = await d.send(p(), undefined);
    assert.equal(fired.kind, 'delivered');
    const state = fired.kind === 'delivered' ? fired.state : undefined;
    assert.equal(state?.['channel'], 'C0ALERTS01', 'the ID, not #alerts: chat.update needs it');
    const resolved = await d.send(p({ status: 'resolved' }), state);
    assert.equal(resolved.kind, 'delivered');
    assert.deepEqual(resolved.kind === 'delivered' ? resolved.state : undefined, state);
    const m = slack.messages.find((x) => x.ts === state?.['ts'])!;
    assert.equal(m.edits, 1);
    assert.equal(m.text, 'Resolved: Disk full');
    await d.close?.();
  });

  test('a message that can no longer be updated: a new one is posted and remembered', async () => {
    const d = bot();
    const out = await d.send(p({ status: 'resolved' }), { channel: 'C0ALERTS01', ts: '1.999999' });
    assert.equal(out.kind, 'delivered');
    assert.match(out.kind === 'delivered' ? out.detail! : '', /could not be updated \(message_not_found\)/);
    assert.notEqual(out.kind === 'delivered' ? out.state?.['ts'] : '', '1.999999');
    await d.close?.();
  });

  test('Slack errors: final with a hint, or retried; no token in any of it', async () => {
    const cases: [ReturnType<typeof bot>, string, SendOutcome['kind'], RegExp][] = [
      [bot({ token: 'xoxb-wrong-token-999999' }), 'invalid_auth', 'failed', /Bot User OAuth Token/],
      [bot({ channel: '#nowhere' }), 'channel_not_found', 'failed', /invite the bot/],
      [bot({ channel: 'C0CLOSED01' }), 'not_in_channel', 'failed', /\/invite/],
    ];
    for (const [d, error, kind, hint] of cases) {
      const out = await d.send(p(), undefined);
      assert.equal(out.kind, kind, error);
      assert.equal(out.kind === 'failed' ? out.error : '', `Slack: ${error}`);
      assert.match(out.kind === 'failed' ? out.hint : '', hint);
      secretFree(out, [TOKEN, 'xoxb-wrong-token-999999']);
      await d.close?.();
    }
  });

  test('429 with Retry-After, 5xx and ratelimited: retried; the 429 carries its wait and status', async () => {
    const d = bot();
    slack.fail(1, { status: 429, retryAfter: '3' });
    const limited = await d.send(p(), undefined);
    assert.equal(limited.kind, 'retry');
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.kind === 'retry' ? limited.retryAfterMs : 0, 3000);
    slack.fail(1, { status: 503 });
    assert.equal((await d.send(p(), undefined)).kind, 'retry');
    slack.fail(1, { status: 200, error: 'internal_error' });
    assert.equal((await d.send(p(), undefined)).kind, 'retry');
    await d.close?.();
  });

  test('the stand-in refuses a message over the limits (so the checks above mean something)', async () => {
    const res = await fetch(`${slack.apiUrl}/chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'C0ALERTS01', text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] }),
    });
    assert.deepEqual(await res.json(), { ok: false, error: 'invalid_blocks' });
  });
});

describe('incoming webhook', () => {
  const hook = () => createSlackDestination('s', slackConfig.parse({ type: 'slack', webhook_url: slack.hookUrl }));

  test('posts on fire and on resolve; an update in between is not posted (a webhook cannot edit)', async () => {
    const d = hook();
    const before = slack.messages.length;
    const fired = await d.send(p(), undefined);
    assert.equal(fired.kind, 'delivered');
    const state = fired.kind === 'delivered' ? fired.state : undefined;
    const update = await d.send(p({ title: 'Disk fuller' }), state);
    assert.equal(update.kind, 'delivered');
    assert.equal(update.statusCode, 0);
    assert.equal((await d.send(p({ status: 'resolved' }), state)).kind, 'delivered');
    assert.deepEqual(slack.messages.slice(before).map((m) => m.text), ['FIRING: Disk full', 'Resolved: Disk full']);
    await d.close?.();
  });

  test('an unknown webhook (no_service): final with a hint; the URL is in no error', async () => {
    const url = `${slack.url}/services/T000/B000/revokedsecret9876`;
    const d = createSlackDestination('s', slackConfig.parse({ type: 'slack', webhook_url: url }));
    const out = await d.send(p(), undefined);
    assert.equal(out.kind, 'failed');
    assert.equal(out.kind === 'failed' ? out.error : '', 'HTTP 404: no_service');
    assert.match(out.kind === 'failed' ? out.hint : '', /webhook_url/);
    secretFree(out, ['revokedsecret9876']);
    slack.fail(1, { status: 429, retryAfter: '2' });
    const limited = await hook().send(p(), undefined);
    assert.equal(limited.kind === 'retry' ? limited.retryAfterMs : 0, 2000);
    await d.close?.();
  });
});

test('config: one of webhook_url or token + channel; target holds no secret', () => {
  const parse = (o: Record<string, unknown>) => slackConfig.safeParse({ type: 'slack', ...o });
  assert.equal(parse({ webhook_url: 'https://hooks.slack.com/services/T/B/secretpart' }).success, true);
  assert.equal(parse({ token: TOKEN, channel: 'C1' }).success, true);
  assert.equal(parse({}).success, false);
  assert.equal(parse({ token: TOKEN }).success, false);
  assert.equal(parse({ channel: 'C1' }).success, false);
  assert.equal(parse({ webhook_url: 'https://hooks.slack.com/services/T/B/x', token: TOKEN, channel: 'C1' }).success, false);
  const target = slackDestination.target(slackConfig.parse({ type: 'slack', webhook_url: 'https://hooks.slack.com/services/T/B/secretpart' }));
  assert.match(target, /^slack webhook hooks\.slack\.com \(url sha256 [0-9a-f]{12}\)$/);
  assert.ok(!slackDestination.target(slackConfig.parse({ type: 'slack', token: TOKEN, channel: 'C1' })).includes(TOKEN));
});
