/**
 * Web UI sessions: a signed, expiring cookie, so a session works on every instance of a cluster (they share the config,
 * hence the key) with nothing stored. The key is derived from the admin token: changing the token ends every session.
 * The cookie holds no secret — only its expiry, a random nonce and a MAC over both.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'tocsin_session';
export const CSRF_HEADER = 'x-csrf-token';
/** A working day; after that the browser asks for the token again. */
export const SESSION_TTL_MS = 8 * 3600_000;

const VERSION = 'v1';

const keyOf = (adminToken: string) => createHmac('sha256', adminToken).update('tocsin web ui session key v1').digest();
const mac = (adminToken: string, text: string) => createHmac('sha256', keyOf(adminToken)).update(text).digest('base64url');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface Session {
  /** The cookie's value. */
  value: string;
  expiresAt: number;
}

export function issueSession(adminToken: string, now: number, ttlMs = SESSION_TTL_MS): Session {
  const expiresAt = now + ttlMs;
  const body = `${VERSION}.${expiresAt}.${randomBytes(16).toString('base64url')}`;
  return { value: `${body}.${mac(adminToken, body)}`, expiresAt };
}

export type SessionCheck = { ok: true; expiresAt: number } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

export function verifySession(value: string, adminToken: string, now: number): SessionCheck {
  const m = /^(v1\.(\d{1,15})\.[A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return { ok: false, reason: 'malformed' };
  if (!sameText(m[3]!, mac(adminToken, m[1]!))) return { ok: false, reason: 'forged' };
  const expiresAt = Number(m[2]);
  // A signed cookie cannot claim more than one TTL ahead unless the clock went back; treat that as expired too.
  if (expiresAt <= now || expiresAt > now + SESSION_TTL_MS + 60_000) return { ok: false, reason: 'expired' };
  return { ok: true, expiresAt };
}

/** Bound to the session: a page of another origin can neither read it nor compute it. */
export const csrfToken = (sessionValue: string, adminToken: string) => mac(adminToken, `csrf.${sessionValue}`);

export function csrfMatches(presented: string | undefined, sessionValue: string, adminToken: string): boolean {
  return !!presented && sameText(presented, csrfToken(sessionValue, adminToken));
}

/** One cookie's value from a `Cookie` header; the first one wins, as browsers send the most specific first. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const attributes = (secure: boolean) => `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;

export function sessionCookie(s: Session, now: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${s.value}; Max-Age=${Math.floor((s.expiresAt - now) / 1000)}; ${attributes(secure)}`;
}

export const clearedCookie = (secure: boolean) => `${SESSION_COOKIE}=; Max-Age=0; ${attributes(secure)}`;

/**
 * Secure when the browser reached us over TLS: directly, or through a proxy that says so. Trusting the header here is
 * safe: it can only add the Secure attribute, never remove a protection.
 */
export function cameOverTls(encrypted: boolean, forwardedProto: string | string[] | undefined): boolean {
  const proto = Array.isArray(forwardedProto) ? forwardedProto[0] : forwardedProto;
  return encrypted || proto?.split(',')[0]?.trim().toLowerCase() === 'https';
}
