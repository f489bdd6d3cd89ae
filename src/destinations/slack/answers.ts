/**
 * What Slack's answers mean. Incoming webhooks answer with HTTP statuses and a plain word (`ok`, `invalid_payload`,
 * `no_service`…); the Web API answers HTTP 200 with `{ok: false, error}` for most failures, and HTTP 429 with
 * Retry-After when rate limited. Each error is sorted into retry or final here, with a hint for a final one.
 */
import { parseRetryAfter } from '../../delivery/retry-policy.ts';
import { classifyHttp } from '../http-outcome.ts';
import type { HttpOutcome } from '../incident-io/http.ts';
import type { SendOutcome } from '../types.ts';

const EXCERPT = 1000;

const RECONFIGURE = 'then reload tocsin and retry this delivery.';

/** Final Web API and webhook errors, with what to do. */
const FINAL: Record<string, string> = {
  invalid_auth: `The bot token is invalid: copy the Bot User OAuth Token (xoxb-…) from the Slack app's "OAuth & Permissions" page into token, ${RECONFIGURE}`,
  not_authed: `No bot token reached Slack: set token (xoxb-…), ${RECONFIGURE}`,
  token_revoked: `The bot token was revoked (the app was uninstalled or the token rotated): reinstall the app and put its new token in token, ${RECONFIGURE}`,
  token_expired: `The bot token expired (token rotation is on for this app): put a current token in token, ${RECONFIGURE}`,
  account_inactive: `The bot's user or workspace is deactivated: reinstall the Slack app and use its new token, ${RECONFIGURE}`,
  missing_scope: `The token lacks the chat:write scope: add it under "OAuth & Permissions", reinstall the app, ${RECONFIGURE}`,
  no_permission: `The token may not post here: give the app chat:write (and chat:write.public for channels it is not in), ${RECONFIGURE}`,
  channel_not_found: `Slack cannot find the channel (or the bot cannot see it): use the channel's ID (C0123ABCD, from its details), invite the bot to it (/invite @yourbot), ${RECONFIGURE}`,
  not_in_channel: `The bot is not a member of the channel: /invite @yourbot in the channel, then retry this delivery.`,
  is_archived: `The channel is archived: unarchive it or configure another channel, ${RECONFIGURE}`,
  channel_is_archived: `The webhook's channel is archived: unarchive it, or create an incoming webhook for another channel and put it in webhook_url, ${RECONFIGURE}`,
  restricted_action: `The workspace's settings stop the bot posting in this channel (e.g. only admins may post): ask a Slack admin, then retry this delivery.`,
  action_prohibited: `A Slack admin restricted this incoming webhook or its channel: ask them, or create another webhook, ${RECONFIGURE}`,
  invalid_token: `The incoming webhook URL is no longer valid: create a new one and put it in webhook_url, ${RECONFIGURE}`,
  no_service: `Slack no longer knows this incoming webhook (removed, or the app was uninstalled): create a new one and put it in webhook_url, ${RECONFIGURE}`,
  no_service_id: `The incoming webhook URL is incomplete: copy it again into webhook_url, ${RECONFIGURE}`,
  no_team: `The incoming webhook's workspace is gone or the URL is wrong: copy the webhook URL again, ${RECONFIGURE}`,
  team_disabled: `The Slack workspace is disabled: nothing can be posted to it.`,
  user_not_found: `The incoming webhook's channel or user no longer exists: create a new webhook, ${RECONFIGURE}`,
  invalid_payload: 'Slack refused the message body as malformed. tocsin builds it within Block Kit\'s limits: report this as a bug with the alert id.',
  invalid_blocks: 'Slack refused the message blocks. tocsin builds them within Block Kit\'s documented limits: report this as a bug with the alert id.',
  msg_too_long: 'The message is longer than Slack accepts. tocsin caps its text: report this as a bug with the alert id.',
  no_text: 'Slack saw no text in the message. tocsin always sends text: report this as a bug with the alert id.',
};

/** Errors worth another attempt (Slack's side, not ours). */
const TRANSIENT = new Set(['ratelimited', 'rate_limited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'rollup_error', 'team_added_to_org']);

const hintFor = (error: string) => FINAL[error] ?? `Slack refused the request (${error}): see Slack's documentation of this error for the method, fix the cause, then retry this delivery.`;

/** An incoming webhook's answer: `ok` on 200; otherwise a status and a word. */
export function classifyWebhookAnswer(outcome: HttpOutcome, now: number): SendOutcome {
  if (outcome.ok && outcome.res.statusCode >= 400 && outcome.res.statusCode < 500 && outcome.res.statusCode !== 408 && outcome.res.statusCode !== 429) {
    const word = outcome.res.body.trim().split('\n')[0] ?? '';
    const error = /^[a-z_]{2,60}$/.test(word) ? word : '';
    return {
      kind: 'failed',
      statusCode: outcome.res.statusCode,
      responseExcerpt: outcome.res.body.slice(0, EXCERPT),
      error: `HTTP ${outcome.res.statusCode}${error ? `: ${error}` : ''}`,
      hint: error ? hintFor(error) : `Slack refused the incoming webhook (HTTP ${outcome.res.statusCode}): check webhook_url, ${RECONFIGURE}`,
    };
  }
  return classifyHttp(outcome, now, { service: 'Slack', byStatus: {}, fallback: `Slack refused the incoming webhook: check webhook_url, ${RECONFIGURE}` });
}

export type WebApiResult = { ok: true; outcome: SendOutcome & { kind: 'delivered' }; body: Record<string, unknown> } | { ok: false; outcome: SendOutcome; error?: string };

/** A Web API answer: HTTP errors first (429 with Retry-After, 5xx), then the `{ok, error}` of a 200. */
export function classifyWebApi(outcome: HttpOutcome, now: number): WebApiResult {
  const http = classifyHttp(outcome, now, { service: 'Slack', byStatus: {}, fallback: `Slack refused the request: check base_url and token, ${RECONFIGURE}` });
  if (!outcome.ok || http.kind !== 'delivered') {
    // A 429 from the Web API has a JSON body too; the status decides.
    return { ok: false, outcome: http };
  }
  const { res } = outcome;
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(res.body);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    /* below */
  }
  const base = { statusCode: res.statusCode, responseExcerpt: res.body.slice(0, EXCERPT) };
  if (!body) return { ok: false, outcome: { kind: 'retry', error: 'Slack answered 200 without a JSON body', ...base } };
  if (body['ok'] === true) return { ok: true, outcome: { kind: 'delivered', ...base }, body };
  const error = typeof body['error'] === 'string' ? body['error'] : 'unknown_error';
  if (TRANSIENT.has(error)) {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], now);
    return { ok: false, error, outcome: { kind: 'retry', error: `Slack: ${error}`, ...base, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } };
  }
  return { ok: false, error, outcome: { kind: 'failed', error: `Slack: ${error}`, hint: hintFor(error), ...base } };
}
