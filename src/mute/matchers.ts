import type { Labels } from '../domain/labels.ts';
import { compileMatcher, matches, type Matcher, type MatchOp } from '../routing/matchers.ts';

/**
 * Alertmanager's matchers for silences and inhibit rules. Routes' matchers (routing/matchers.ts) compile and test a
 * single matcher; what differs here is Alertmanager's rule that a missing label has the empty value, so `team=""`
 * matches an alert without `team` and `team!="x"` matches it too (a route's `!=` already does).
 */
export function labelMatches(m: Matcher, labels: Labels): boolean {
  const values = labels[m.label];
  if (values && values.length) return matches(m, labels);
  // Missing: the empty value (decided without building a label set: this runs per alert on the hot path).
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return m.regex!.test('');
    case '!~':
      return !m.regex!.test('');
  }
}

export function allMatch(ms: readonly Matcher[], labels: Labels): boolean {
  for (const m of ms) if (!labelMatches(m, labels)) return false;
  return true;
}

export type MatcherParse = { ok: true; matchers: Matcher[] } | { ok: false; message: string };

const OPS: readonly MatchOp[] = ['=~', '!~', '!=', '='];
const NAME = /^[A-Za-z_.][A-Za-z0-9_.\-]*$/;

/** Splits `a="x,y", b=~'z'` at commas outside quotes. */
function splitList(text: string): string[] | string {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      cur += c;
      if (c === '\\' && i + 1 < text.length) cur += text[++i];
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quote) return `unterminated ${quote} quote`;
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

function unquote(raw: string): string | undefined {
  const v = raw.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) {
    try {
      return v[0] === '"' ? (JSON.parse(v) as string) : v.slice(1, -1).replace(/\\(.)/g, '$1');
    } catch {
      return undefined;
    }
  }
  if (/["']/.test(v)) return undefined;
  return v;
}

/** One matcher in Alertmanager's syntax: `alertname=~"Disk.*"`, `team!=storage`, `env="prod"`. */
export function parseMatcher(text: string): { ok: true; matcher: Matcher } | { ok: false; message: string } {
  const s = text.trim();
  let at = -1;
  let op: MatchOp | undefined;
  for (let i = 0; i < s.length && op === undefined; i++) {
    if (s[i] === '"' || s[i] === "'") break;
    for (const o of OPS) {
      if (s.startsWith(o, i)) {
        at = i;
        op = o;
        break;
      }
    }
  }
  if (op === undefined) return { ok: false, message: `"${s}" is not a matcher: write name=value, name!=value, name=~regex or name!~regex` };
  const label = s.slice(0, at).trim();
  if (!NAME.test(label)) return { ok: false, message: `"${label}" is not a label name` };
  const value = unquote(s.slice(at + op.length));
  if (value === undefined) return { ok: false, message: `the value of "${s}" is not a well-quoted string` };
  try {
    return { ok: true, matcher: compileMatcher(label, op, value) };
  } catch (e) {
    return { ok: false, message: `invalid regular expression in "${s}": ${(e as Error).message}` };
  }
}

/** A list of matchers: `{a="b", c=~"d.*"}`, `a="b",c!=d`, or one per array item. */
export function parseMatchers(input: string | readonly string[]): MatcherParse {
  const items: string[] = [];
  for (const part of typeof input === 'string' ? [input] : input) {
    let t = part.trim();
    if (t.startsWith('{') && t.endsWith('}')) t = t.slice(1, -1);
    const split = splitList(t);
    if (typeof split === 'string') return { ok: false, message: `"${part}": ${split}` };
    items.push(...split);
  }
  const matchers: Matcher[] = [];
  for (const item of items) {
    const r = parseMatcher(item);
    if (!r.ok) return r;
    matchers.push(r.matcher);
  }
  return { ok: true, matchers };
}

/** The stored and shown form of a matcher (what parseMatcher reads back). */
export function formatMatcher(m: Pick<Matcher, 'label' | 'op' | 'value'>): string {
  return `${m.label}${m.op}${JSON.stringify(m.value)}`;
}
