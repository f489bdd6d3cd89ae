/**
 * `slack`: one message per alert episode. With a bot token the message is posted once (`chat.postMessage`) and
 * updated in place (`chat.update`) on every later state of the episode — its resolve included — the message's
 * channel and ts kept as the episode's destination state. An incoming webhook cannot edit what it posted: it posts
 * when the episode fires and when it resolves, and leaves the updates in between out rather than flood the channel.
 */
import type { JsonObject } from '../../domain/alert.ts';
import type { DestinationType } from '../registry.ts';
import { shownState, type Destination, type DeliveryPayload, type SendOutcome } from '../types.ts';
import { createAgent, sendJson } from '../incident-io/http.ts';
import { safeHost, urlFingerprint } from '../webhook/webhook.ts';
import { classifyWebApi, classifyWebhookAnswer } from './answers.ts';
import { slackConfig, type SlackConfig } from './config.ts';
import { buildMessage } from './message.ts';

/** Delivered without a request (statusCode 0: nothing was sent). */
const noCall = (detail: string, state?: JsonObject): SendOutcome => ({ kind: 'delivered', statusCode: 0, detail, ...(state ? { state } : {}) });

/** chat.update cannot edit the message any more: post a new one rather than lose the state. */
const GONE = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);

interface Posted {
  channel: string;
  ts: string;
}

function readPosted(previous: JsonObject | undefined): Posted | undefined {
  const channel = previous?.['channel'];
  const ts = previous?.['ts'];
  return typeof channel === 'string' && typeof ts === 'string' && channel && ts ? { channel, ts } : undefined;
}

export function createSlackDestination(name: string, c: SlackConfig): Destination {
  const agent = createAgent(c.timeout_ms);
  const rateLimit = { perMinute: c.rate_limit_per_minute, burst: Math.min(c.rate_limit_burst, c.rate_limit_per_minute) };
  // Both modes show the acknowledged state: a bot edits its message, a webhook posts a new one.
  const base = { name, type: 'slack', rateLimit, updatesOnAcknowledge: true, close: () => agent.close() };

  if (c.webhook_url !== undefined) {
    const url = c.webhook_url;
    return {
      ...base,
      sendTimeoutMs: c.timeout_ms,
      async send(p, previous, context) {
        // Posted once per shown state: firing, acknowledged (again after an unack), resolved.
        const shown = shownState(p);
        if (shown !== 'resolved' && previous?.['posted'] === shown) return noCall('already posted for this episode; an incoming webhook cannot update it', previous);
        const res = await sendJson(agent, 'POST', url, { 'user-agent': 'tocsin' }, JSON.stringify(buildMessage(p, context?.ackUrl)), c.timeout_ms);
        const out = classifyWebhookAnswer(res, Date.now());
        if (out.kind === 'delivered') return { ...out, state: { posted: shown }, detail: `${shown} posted` };
        return out;
      },
    };
  }

  const headers = { authorization: `Bearer ${c.token!}`, 'content-type': 'application/json; charset=utf-8', 'user-agent': 'tocsin' };
  const call = (method: string, body: object) => sendJson(agent, 'POST', `${c.base_url}/${method}`, headers, JSON.stringify(body), c.timeout_ms);

  async function post(p: DeliveryPayload, ackUrl: string | undefined, note = ''): Promise<SendOutcome> {
    const res = classifyWebApi(await call('chat.postMessage', { channel: c.channel, ...buildMessage(p, ackUrl), unfurl_links: false, unfurl_media: false }), Date.now());
    if (!res.ok) return res.outcome;
    const channel = res.body['channel'];
    const ts = res.body['ts'];
    if (typeof channel !== 'string' || typeof ts !== 'string') return { ...res.outcome, detail: `${p.status} posted, but Slack's answer held no ts: later states will be posted anew` };
    return { ...res.outcome, state: { channel, ts }, detail: `${p.status} posted (ts ${ts})${note}` };
  }

  async function update(p: DeliveryPayload, posted: Posted, ackUrl: string | undefined): Promise<SendOutcome> {
    const res = classifyWebApi(await call('chat.update', { channel: posted.channel, ts: posted.ts, ...buildMessage(p, ackUrl) }), Date.now());
    if (res.ok) return { ...res.outcome, state: { ...posted }, detail: `${shownState(p)}: message ${posted.ts} updated` };
    if (res.error && GONE.has(res.error)) return post(p, ackUrl, ` — message ${posted.ts} could not be updated (${res.error})`);
    return res.outcome;
  }

  return {
    ...base,
    // An update that finds its message gone posts a new one: two requests.
    sendTimeoutMs: 2 * c.timeout_ms,
    async send(p, previous, context) {
      const posted = readPosted(previous);
      return posted ? update(p, posted, context?.ackUrl) : post(p, context?.ackUrl);
    },
  };
}

export const slackDestination: DestinationType<SlackConfig> = {
  type: 'slack',
  config: slackConfig,
  create: async (name, c) => createSlackDestination(name, c),
  // The webhook URL is the credential: only its host and a fingerprint are stored. A bot's target is its channel.
  target: (c) => (c.webhook_url !== undefined ? `slack webhook ${safeHost(c.webhook_url)} (url sha256 ${urlFingerprint(c.webhook_url)})` : `slack ${c.base_url} ${c.channel}`),
};
