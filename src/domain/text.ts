import type { JsonValue } from './alert.ts';

/**
 * Text as well-formed Unicode: a lone UTF-16 surrogate (a title cut inside an emoji) becomes U+FFFD. SQLite and
 * PostgreSQL store UTF-8, which cannot hold a lone surrogate, so without this the key we look an alert up by and
 * the key the database kept would differ, and the alert could never be found (or resolved) again.
 *
 * U+0000 becomes U+FFFD too: PostgreSQL's text cannot hold it (SQLite can), and a sender's NUL in a title failed the
 * whole request there — a 500 that Alertmanager retries for ever. Both dialects store the same text.
 */
export function wellFormed(s: string): string {
  const w = s.isWellFormed() ? s : s.toWellFormed();
  return w.includes('\u0000') ? w.replaceAll('\u0000', '\uFFFD') : w;
}

/** The same for every string (keys too) in a JSON value; returns the value itself when nothing needed changing. */
export function wellFormedJson<T extends JsonValue>(value: T): T {
  if (typeof value === 'string') return wellFormed(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const w = wellFormedJson(v);
      if (w !== v) changed = true;
      return w;
    });
    return (changed ? out : value) as T;
  }
  let changed = false;
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value)) {
    const wk = wellFormed(k);
    const wv = wellFormedJson(v);
    if (wk !== k || wv !== v) changed = true;
    out[wk] = wv;
  }
  return (changed ? out : value) as T;
}
