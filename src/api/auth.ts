import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The configured tokens' digests, computed once (every ingest request compares against one). Keyed by the token
 * itself, which the config already holds in memory; bounded so reloads that rotate tokens cannot grow it for ever.
 */
const expectedDigests = new Map<string, Buffer>();
function expectedDigest(token: string): Buffer {
  let d = expectedDigests.get(token);
  if (!d) {
    if (expectedDigests.size >= 1000) expectedDigests.clear();
    expectedDigests.set(token, (d = digest(token)));
  }
  return d;
}

/** Constant-time comparison; hashing first hides the expected token's length too. */
export function tokenMatches(presented: string | undefined, expected: string | undefined): boolean {
  if (!presented || !expected) return false;
  return timingSafeEqual(digest(presented), expectedDigest(expected));
}

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/** The password of `Authorization: Basic base64(user:password)` (RFC 7617); the user name is anything, even empty. */
export function basicPassword(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1) || undefined;
}

/**
 * Every credential a sender presents, in the three ways incident.io's own HTTP alert sources take a token:
 * `Authorization: Bearer`, HTTP Basic with the token as password (AWS SNS and other senders that can only put
 * credentials in the URL, `https://any:<token>@host/...`), and `?token=`. A repeated `?token=` is ambiguous and
 * counts for nothing (the server answers it with a 400 before authentication: server.ts).
 */
export function presentedTokens(authorization: string | undefined, queryToken: unknown): string[] {
  const found = [bearerToken(authorization), basicPassword(authorization), typeof queryToken === 'string' ? queryToken : undefined];
  return found.filter((t): t is string => !!t);
}

/** True when any presented credential is the expected token; each one is compared in constant time. */
export function anyTokenMatches(presented: readonly string[], expected: string | undefined): boolean {
  let matched = false;
  // No early exit: the time taken depends on how many credentials were sent, never on which one matched.
  for (const p of presented) matched = tokenMatches(p, expected) || matched;
  return matched;
}
