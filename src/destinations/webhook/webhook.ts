/**
 * `webhook`: posts each alert state to any URL — tocsin's alert document (document.ts) or what a JSONata template
 * makes of it — signed with the Standard Webhooks headers (signature.ts).
 */
import { createHash } from 'node:crypto';
import jsonata from 'jsonata';
import type { DestinationType } from '../registry.ts';
import type { Destination, DeliveryPayload, SendOutcome } from '../types.ts';
import { classifyHttp, type HttpHints } from '../http-outcome.ts';
import { createAgent, sendJson } from '../incident-io/http.ts';
import { webhookConfig, type WebhookConfig } from './config.ts';
import { alertDocument } from './document.ts';
import { outcomeMessageId } from './outcome.ts';
import { messageId, parseSecret, signedHeaders } from './signature.ts';

const hints: HttpHints = {
  service: 'the webhook receiver',
  byStatus: {
    400: 'The receiver refused the body. If this destination has a template, check that it makes what the receiver expects (tocsin check-config shows syntax errors only); then retry this delivery.',
    401: "The receiver refused tocsin's credentials: if it verifies the Standard Webhooks signature, the secret configured here must be the one it holds; if the URL carries a token, check it. Fix it, reload tocsin, and retry this delivery.",
    403: "The receiver refused tocsin's credentials: if it verifies the Standard Webhooks signature, the secret configured here must be the one it holds; if the URL carries a token, check it. Fix it, reload tocsin, and retry this delivery.",
    404: 'Nothing at the configured URL (404): check the URL (url or url_file), reload tocsin, and retry this delivery.',
    410: 'The receiver says this URL is gone (410): configure its new URL, reload tocsin, and retry this delivery.',
    413: "The body is larger than the receiver accepts: trim it with a template (metadata is sent whole by default), then retry this delivery.",
  },
  fallback: 'The receiver refused the request; its answer is in the response excerpt. Fix what it says, then retry this delivery.',
};

const TEMPLATE_LIMITS = { timeout: 1000, stack: 500, sequence: 100_000 };

/** A short fingerprint of a secret URL: a re-pointed destination is noticed without the URL being stored. */
export const urlFingerprint = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 12);

/** `host` only: a URL's path and query may hold the receiver's credential, and this string is stored and shown. */
export const safeHost = (url: string) => new URL(url).host;

/**
 * `https://user:pass@host/…` as a URL without credentials and a Basic authorization header: undici drops a URL's
 * credentials silently, and a receiver behind Basic auth would answer 401 for ever.
 */
export function splitCredentials(url: string): { url: string; headers: Record<string, string> } {
  const u = new URL(url);
  if (!u.username && !u.password) return { url, headers: {} };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  return { url: u.toString(), headers: { authorization: `Basic ${basic}` } };
}

export function createWebhookDestination(name: string, c: WebhookConfig): Destination {
  const agent = createAgent(c.timeout_ms);
  const target = splitCredentials(c.url);
  const key = parseSecret(c.secret)!;
  // A template runs inside the gateway, on the event loop every delivery and ingest share: bounded in time and depth.
  const template = c.template !== undefined ? jsonata(c.template, TEMPLATE_LIMITS) : undefined;

  async function body(p: DeliveryPayload, ackUrl: string | undefined): Promise<{ ok: true; text: string } | { ok: false; outcome: SendOutcome }> {
    const doc = alertDocument(p, ackUrl);
    if (!template) return { ok: true, text: JSON.stringify(doc) };
    try {
      const result: unknown = await template.evaluate(doc);
      if (result === undefined) {
        return { ok: false, outcome: { kind: 'failed', error: 'the template produced nothing for this alert', hint: 'Its expression matched nothing in this alert document: make it always produce a value (docs/destinations.md shows the document), reload tocsin, and retry this delivery.' } };
      }
      return { ok: true, text: JSON.stringify(result) };
    } catch (e) {
      const err = e as { message?: string; code?: string };
      return {
        ok: false,
        outcome: { kind: 'failed', error: `the template failed: ${err.code ? `${err.code} ` : ''}${err.message ?? 'error'}`, hint: 'Fix the JSONata template of this destination (try it on the alert document in docs/destinations.md), reload tocsin, and retry this delivery.' },
      };
    }
  }

  return {
    name,
    type: 'webhook',
    rateLimit: { perMinute: c.rate_limit_per_minute, burst: Math.min(c.rate_limit_burst, c.rate_limit_per_minute) },
    sendTimeoutMs: c.timeout_ms,
    // Its receivers learn of acknowledgements too (an alert.acknowledged document).
    updatesOnAcknowledge: true,
    async send(payload, _previous, context) {
      // A delivery outcome event (`on:`, outcome.ts) is posted as it is; an alert state as its document or template.
      const made = payload.outcome ? ({ ok: true, text: JSON.stringify(payload.outcome) } as const) : await body(payload, context?.ackUrl);
      if (!made.ok) return made.outcome;
      // Signed afresh per attempt (the timestamp is when it was sent: receivers reject old ones), same id throughout.
      const id = payload.outcome ? outcomeMessageId(payload.outcome) : messageId(payload);
      const headers = { ...target.headers, ...signedHeaders(key, id, Date.now(), made.text), 'user-agent': 'tocsin' };
      const res = await sendJson(agent, 'POST', target.url, headers, made.text, c.timeout_ms);
      const outcome = classifyHttp(res, Date.now(), hints);
      if (outcome.kind === 'delivered') outcome.detail = `${payload.outcome?.type ?? payload.status} posted (${id})`;
      return outcome;
    },
    close: () => agent.close(),
  };
}

export const webhookDestination: DestinationType<WebhookConfig> = {
  type: 'webhook',
  config: webhookConfig,
  create: async (name, c) => createWebhookDestination(name, c),
  target: (c) => `webhook ${safeHost(c.url)} (url sha256 ${urlFingerprint(c.url)})`,
};
