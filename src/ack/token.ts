/**
 * Signed acknowledgement links (pure). A token names one alert episode and an expiry, and carries an HMAC-SHA256 of
 * them under the configured `ack.secret`: whoever holds the link may acknowledge that episode until it expires, and
 * nothing else. The token is `<message>.<mac>`, both base64url; the message is `v1\n<alert id>\n<episode>\n<expiry s>`.
 * The MAC is checked (in constant time) before anything in the message is believed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface AckClaim {
  alertId: string;
  episode: number;
  /** Epoch seconds after which the link no longer works. */
  expiresAt: number;
}

export type VerifyOutcome = { ok: true; claim: AckClaim } | { ok: false; reason: 'malformed' | 'tampered' | 'expired'; claim?: AckClaim };

const VERSION = 'v1';
/** Domain separation: a MAC made with the same secret for anything else can never pass as an ack token. */
const CONTEXT = 'tocsin ack link\n';
/** Alert ids are ULIDs; anything with a line break or far longer is not one of ours. */
const ALERT_ID = /^[\x21-\x7e]{1,200}$/;
/** Longer than any token we make: refused before any work is done. */
export const MAX_TOKEN_LENGTH = 600;

/** HMAC-SHA256 cut to 128 bits (as RFC 2104 allows): forging one still takes 2^128 tries, and links stay short. */
const MAC_BYTES = 16;
const mac = (secret: string, message: Buffer) => createHmac('sha256', secret).update(CONTEXT).update(message).digest().subarray(0, MAC_BYTES);

export function signAck(secret: string, claim: AckClaim): string {
  const message = Buffer.from(`${VERSION}\n${claim.alertId}\n${claim.episode}\n${claim.expiresAt}`);
  return `${message.toString('base64url')}.${mac(secret, message).toString('base64url')}`;
}

function parse(message: string): AckClaim | undefined {
  const parts = message.split('\n');
  if (parts.length !== 4 || parts[0] !== VERSION) return undefined;
  const [, alertId, episode, expires] = parts as [string, string, string, string];
  if (!ALERT_ID.test(alertId) || !/^[1-9]\d{0,9}$/.test(episode) || !/^\d{1,12}$/.test(expires)) return undefined;
  return { alertId, episode: Number(episode), expiresAt: Number(expires) };
}

/**
 * `nowMs`: the clock. Tampered (any byte of the message or MAC changed, or another secret) is told apart from
 * malformed (not a token at all) and expired (a genuine token past its time: `claim` says which alert, for the page).
 */
export function verifyAck(secret: string, token: string, nowMs: number): VerifyOutcome {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const message = Buffer.from(m[1]!, 'base64url');
  const given = Buffer.from(m[2]!, 'base64url');
  const expected = mac(secret, message);
  // Node's decoder drops stray trailing characters: only the one canonical spelling of a token is accepted.
  const canonical = message.toString('base64url') === m[1] && given.toString('base64url') === m[2];
  if (given.length !== expected.length || !timingSafeEqual(given, expected) || !canonical) return { ok: false, reason: 'tampered' };
  const claim = parse(message.toString('utf8'));
  if (!claim) return { ok: false, reason: 'malformed' };
  if (claim.expiresAt * 1000 <= nowMs) return { ok: false, reason: 'expired', claim };
  return { ok: true, claim };
}

export interface AckLinkSettings {
  secret: string;
  /** The base URL people reach tocsin at, without a trailing slash. */
  publicUrl: string;
  linkTtlMs: number;
}

/**
 * The link for one delivered state: only a firing, unacknowledged, non-test state gets one. It expires `linkTtlMs`
 * after the state's own time, so every attempt at the same delivery carries the same link (retries and signed
 * webhooks see one body), and it is never stored: computed at send time.
 */
export function ackLinkFor(s: AckLinkSettings | undefined, p: { alertId: string; episode: number; status: string; at: number; acknowledged?: unknown; test?: boolean }): string | undefined {
  if (!s || p.status !== 'firing' || p.acknowledged || p.test) return undefined;
  const expiresAt = Math.floor((p.at + s.linkTtlMs) / 1000);
  return `${s.publicUrl}/ack/${signAck(s.secret, { alertId: p.alertId, episode: p.episode, expiresAt })}`;
}

/**
 * A send's outcome without the link's token: an answer that echoes the message (Slack's chat.postMessage does) would
 * otherwise store the credential with the delivery. The token is base64url and a dot, so no JSON escaping hides it.
 */
export function withoutAckToken<T extends object>(outcome: T, ackUrl: string): T {
  const token = ackUrl.slice(ackUrl.lastIndexOf('/') + 1);
  if (!token) return outcome;
  const out = { ...outcome } as Record<string, unknown>;
  for (const key of ['responseExcerpt', 'error', 'detail', 'hint']) {
    const v = out[key];
    if (typeof v === 'string' && v.includes(token)) out[key] = v.split(token).join('…');
  }
  return out as T;
}
