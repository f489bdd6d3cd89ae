/**
 * `telegram`: one message per alert episode, sent with the Bot API's `sendMessage` and edited in place
 * (`editMessageText`) on every later state of the episode, its resolve included — the chat id and message_id kept as
 * the episode's destination state (as slack.ts keeps channel and ts). An edit that changes nothing counts as
 * delivered; a message that cannot be edited any more (deleted) is sent anew.
 */
import type { DestinationType } from '../registry.ts';
import { shownState, type Destination, type DeliveryPayload, type SendOutcome } from '../types.ts';
import { createAgent, sendJson } from '../incident-io/http.ts';
import { classifyBotApi } from './answers.ts';
import { telegramConfig, type TelegramConfig } from './config.ts';
import { buildText } from './text.ts';

const NOT_MODIFIED = /message is not modified/i;
const GONE = /message to edit not found|message can't be edited/i;

interface Sent {
  chat_id: number | string;
  message_id: number;
}

function readSent(previous: Record<string, unknown> | undefined): Sent | undefined {
  const chat = previous?.['chat_id'];
  const id = previous?.['message_id'];
  return (typeof chat === 'number' || (typeof chat === 'string' && chat)) && typeof id === 'number' ? { chat_id: chat, message_id: id } : undefined;
}

export function createTelegramDestination(name: string, c: TelegramConfig): Destination {
  const agent = createAgent(c.timeout_ms);
  // The token is part of the path (the Bot API's only way): sendJson never puts a URL in an error.
  const call = (method: string, body: object) => sendJson(agent, 'POST', `${c.base_url}/bot${c.token}/${method}`, { 'user-agent': 'tocsin' }, JSON.stringify(body), c.timeout_ms);
  const common = (p: DeliveryPayload, ackUrl: string | undefined) => ({ text: buildText(p, ackUrl), parse_mode: 'HTML', link_preview_options: { is_disabled: true } });

  async function send(p: DeliveryPayload, ackUrl: string | undefined, note = ''): Promise<SendOutcome> {
    // A connection test should not ring anyone's phone.
    const res = classifyBotApi(await call('sendMessage', { chat_id: c.chat_id, ...common(p, ackUrl), ...(p.test ? { disable_notification: true } : {}) }), Date.now());
    if (!res.ok) return res.outcome;
    const id = res.result['message_id'];
    const chat = (res.result['chat'] as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'number') return { ...res.outcome, detail: `${p.status} sent, but Telegram's answer held no message_id: later states will be sent anew` };
    // The numeric id Telegram answers with, even when chat_id is @channelname: edits then name the chat exactly.
    const state = { chat_id: typeof chat === 'number' ? chat : c.chat_id, message_id: id };
    return { ...res.outcome, state, detail: `${p.status} sent (message ${id})${note}` };
  }

  async function edit(p: DeliveryPayload, sent: Sent, ackUrl: string | undefined): Promise<SendOutcome> {
    const res = classifyBotApi(await call('editMessageText', { chat_id: sent.chat_id, message_id: sent.message_id, ...common(p, ackUrl) }), Date.now());
    if (res.ok) return { ...res.outcome, state: { ...sent }, detail: `${shownState(p)}: message ${sent.message_id} edited` };
    if (res.outcome.kind === 'failed' && res.description && NOT_MODIFIED.test(res.description)) {
      // A retried edit whose first answer was lost, or a state that reads the same: the message already says it.
      return { kind: 'delivered', statusCode: res.outcome.statusCode ?? 400, state: { ...sent }, detail: `${p.status}: message ${sent.message_id} already up to date` };
    }
    if (res.outcome.kind === 'failed' && res.description && GONE.test(res.description)) return send(p, ackUrl, ` — message ${sent.message_id} could not be edited (${res.description})`);
    return res.outcome;
  }

  return {
    name,
    type: 'telegram',
    updatesOnAcknowledge: true,
    rateLimit: { perMinute: c.rate_limit_per_minute, burst: Math.min(c.rate_limit_burst, c.rate_limit_per_minute) },
    // An edit that finds its message gone sends a new one: two requests.
    sendTimeoutMs: 2 * c.timeout_ms,
    async send(p, previous, context) {
      const sent = readSent(previous);
      return sent ? edit(p, sent, context?.ackUrl) : send(p, context?.ackUrl);
    },
    close: () => agent.close(),
  };
}

export const telegramDestination: DestinationType<TelegramConfig> = {
  type: 'telegram',
  config: telegramConfig,
  create: async (name, c) => createTelegramDestination(name, c),
  // The bot token is the credential and never stored; the chat is what a re-pointed destination changes.
  target: (c) => `telegram ${c.base_url} chat ${c.chat_id}`,
};
