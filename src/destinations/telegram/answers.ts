/**
 * What the Bot API's answers mean. Telegram answers `{ok: true, result}` or `{ok: false, error_code, description,
 * parameters}` (the HTTP status is the error_code). 429 carries `parameters.retry_after` (seconds), not a Retry-After
 * header; a group that became a supergroup carries `parameters.migrate_to_chat_id`. Each error is sorted into retry or
 * final here, with a hint for a final one. The token is in the request path only: never in an answer or an error.
 */
import { parseRetryAfter } from '../../delivery/retry-policy.ts';
import { classifyHttp } from '../http-outcome.ts';
import type { HttpOutcome } from '../incident-io/http.ts';
import type { SendOutcome } from '../types.ts';

const EXCERPT = 1000;
const RECONFIGURE = 'then reload tocsin and retry this delivery.';

/** Hints for final answers, by a phrase of Telegram's description (checked in order), else by error code. */
const BY_DESCRIPTION: [RegExp, string][] = [
  [/chat not found/i, `Telegram cannot find chat_id: for a group or supergroup use its numeric id (negative, e.g. -1001234567890; add the bot to the group first), for a public channel @channelname; ${RECONFIGURE}`],
  [/bot was kicked/i, `The bot was removed from the chat: add it back (for a channel, as an administrator allowed to post), ${RECONFIGURE}`],
  [/not a member/i, `The bot is not a member of the chat: add it (to a channel as an administrator allowed to post messages), then retry this delivery.`],
  [/bot was blocked by the user/i, 'The user blocked the bot: they must unblock it (or /start it again), then retry this delivery.'],
  [/can't initiate conversation/i, 'A bot cannot write first to a user: the user must open the bot and press Start, then retry this delivery.'],
  [/not enough rights|have no rights|CHAT_WRITE_FORBIDDEN|CHAT_ADMIN_REQUIRED/i, `The bot may not post in this chat: let members (or the bot, as an administrator) send messages, ${RECONFIGURE}`],
  [/message is too long|can't parse entities|text is empty|text must be non-empty/i, "Telegram refused the message's text. tocsin escapes it and keeps it within 4096 characters: report this as a bug with the alert id."],
];
const BY_CODE: Partial<Record<number, string>> = {
  401: `Telegram refused the bot token (Unauthorized): it is wrong or was revoked. Copy the current token from @BotFather (/token) into token, ${RECONFIGURE}`,
  404: `Telegram does not know this bot (404 Not Found): the token is incomplete or base_url is wrong. Copy the whole token (123456789:AA…) from @BotFather into token, ${RECONFIGURE}`,
  403: `Telegram forbids the bot to post in this chat: add the bot to it (to a channel as an administrator), ${RECONFIGURE}`,
};
const FALLBACK = `Telegram refused the request; its description is in the error. Fix what it says, ${RECONFIGURE}`;

export type BotApiResult =
  | { ok: true; outcome: SendOutcome & { kind: 'delivered' }; result: Record<string, unknown> }
  | { ok: false; outcome: SendOutcome; description?: string };

interface ErrorBody {
  ok: false;
  error_code?: unknown;
  description?: unknown;
  parameters?: { retry_after?: unknown; migrate_to_chat_id?: unknown };
}

function parse(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function classifyBotApi(outcome: HttpOutcome, now: number): BotApiResult {
  if (!outcome.ok) return { ok: false, outcome: { kind: 'retry', error: outcome.error } };
  const { res } = outcome;
  const body = parse(res.body);
  const base = { statusCode: res.statusCode, responseExcerpt: res.body.slice(0, EXCERPT) };
  if (!body || typeof body['ok'] !== 'boolean') {
    // Not the Bot API speaking (a proxy's 502 page): the HTTP status decides.
    const http = classifyHttp(outcome, now, { service: 'Telegram', byStatus: BY_CODE, fallback: FALLBACK });
    return { ok: false, outcome: http.kind === 'delivered' ? { kind: 'retry', error: `Telegram answered ${res.statusCode} without a Bot API body`, ...base } : http };
  }
  if (body['ok'] === true) {
    const result = body['result'];
    return { ok: true, outcome: { kind: 'delivered', ...base }, result: result !== null && typeof result === 'object' ? (result as Record<string, unknown>) : {} };
  }
  const e = body as unknown as ErrorBody;
  const code = typeof e.error_code === 'number' ? e.error_code : res.statusCode;
  const description = typeof e.description === 'string' ? e.description.slice(0, 200) : `error ${code}`;
  const error = `Telegram ${code}: ${description}`;
  if (code === 429 || code >= 500) {
    const seconds = e.parameters?.retry_after;
    const retryAfterMs = typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : parseRetryAfter(res.headers['retry-after'], now);
    return { ok: false, description, outcome: { kind: 'retry', error, ...base, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } };
  }
  const migrated = e.parameters?.migrate_to_chat_id;
  const hint =
    typeof migrated === 'number'
      ? `The group became a supergroup and has a new chat id: set chat_id: ${migrated}, ${RECONFIGURE}`
      : (BY_DESCRIPTION.find(([re]) => re.test(description))?.[1] ?? BY_CODE[code] ?? FALLBACK);
  return { ok: false, description, outcome: { kind: 'failed', error, hint, ...base } };
}
