/**
 * Regexes of LQL queries (`~re`, `m.f:~re`, `m.f:@>~re`) are JavaScript RegExps, compiled once per config load. They
 * run on every ingested log line, so a pattern that backtracks exponentially would stall ingestion: the commonest
 * shape of it, an unbounded quantifier on a group whose body is itself only unbounded repetition (`(a+)+`,
 * `(\w+\s?)*`, `(x+x+)+`), is refused here. Other catastrophic patterns (ambiguous alternations like `(a|a)*`) are
 * not detected: docs/logs-query.md says they are the rule author's responsibility.
 */

export type RegexResult = { ok: true; re: RegExp } | { ok: false; message: string };

/** `(?i)` at the start (RE2 and PostgreSQL spell case-insensitivity so; JavaScript has no inline flags) becomes the `i` flag. */
export function compileRegex(source: string): RegexResult {
  let body = source;
  let flags = '';
  if (body.startsWith('(?i)')) {
    body = body.slice(4);
    flags = 'i';
  }
  let re: RegExp;
  try {
    re = new RegExp(body, flags);
  } catch (e) {
    // V8 says "Invalid regular expression: /(/: Unterminated group"; the reason is what helps.
    const reason = String((e as Error).message).replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return { ok: false, message: `invalid regular expression: ${reason}` };
  }
  const nested = nestedQuantifier(body);
  if (nested !== undefined) {
    return { ok: false, message: `regular expression ${JSON.stringify(nested)} repeats a group that is itself only repetition, which can take exponential time on a long line; write it without the outer repetition (e.g. a+ for (a+)+)` };
  }
  return { ok: true, re };
}

interface Frame {
  start: number;
  /** Something inside repeats without bound. */
  unbounded: boolean;
  /** The fewest atoms matched exactly once over the branches seen so far (a separator that makes repetition unambiguous). */
  minOnce: number;
  once: number;
  lookaround: boolean;
}

interface Quantifier {
  end: number;
  unbounded: boolean;
  /** The atom must appear exactly once (no quantifier, or `{1}`). */
  once: boolean;
}

/** Reads the quantifier (if any) at `i`, with its lazy `?`. */
function quantifierAt(src: string, i: number): Quantifier {
  const c = src[i];
  let end = i + 1;
  let unbounded = false;
  let once = false;
  if (c === '*' || c === '+') unbounded = true;
  else if (c === '?') {
    /* optional, bounded */
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i, i + 24));
    if (!m) return { end: i, unbounded: false, once: true };
    end = i + m[0].length;
    unbounded = m[2] !== undefined && m[3] === '';
    once = m[2] === undefined ? m[1] === '1' : m[1] === '1' && m[3] === '1';
  } else return { end: i, unbounded: false, once: true };
  if (src[end] === '?') end++;
  return { end, unbounded, once };
}

/** The offending group's text, when an unbounded quantifier repeats a group made only of unbounded repetition. */
function nestedQuantifier(src: string): string | undefined {
  const root: Frame = { start: 0, unbounded: false, minOnce: Infinity, once: 0, lookaround: false };
  const stack: Frame[] = [root];
  let i = 0;
  const atom = (frame: Frame, q: Quantifier, innerUnbounded: boolean, innerOnce: boolean) => {
    if (q.unbounded || innerUnbounded) frame.unbounded = true;
    if (q.once && innerOnce) frame.once++;
  };
  while (i < src.length) {
    const c = src[i]!;
    const top = stack[stack.length - 1]!;
    if (c === '\\') {
      const zeroWidth = src[i + 1] === 'b' || src[i + 1] === 'B';
      const q = quantifierAt(src, i + 2);
      atom(top, q, false, !zeroWidth);
      i = q.end;
    } else if (c === '[') {
      let j = i + 1;
      if (src[j] === '^') j++;
      while (j < src.length && src[j] !== ']') j += src[j] === '\\' ? 2 : 1;
      const q = quantifierAt(src, j + 1);
      atom(top, q, false, true);
      i = q.end;
    } else if (c === '(') {
      const look = /^\(\?(=|!|<=|<!)/.test(src.slice(i, i + 4));
      stack.push({ start: i, unbounded: false, minOnce: Infinity, once: 0, lookaround: look });
      const prefix = /^\(\?(:|=|!|<=|<!|<[^>]*>)/.exec(src.slice(i, i + 64));
      i += prefix ? prefix[0].length : 1;
    } else if (c === ')' && stack.length > 1) {
      const g = stack.pop()!;
      g.minOnce = Math.min(g.minOnce, g.once);
      const q = quantifierAt(src, i + 1);
      if (q.unbounded && g.unbounded && g.minOnce === 0 && !g.lookaround) return src.slice(g.start, q.end);
      atom(stack[stack.length - 1]!, q, g.unbounded, g.minOnce > 0 && !g.lookaround);
      i = q.end;
    } else if (c === '|') {
      top.minOnce = Math.min(top.minOnce, top.once);
      top.once = 0;
      i++;
    } else if (c === '^' || c === '$') {
      i++;
    } else {
      const q = quantifierAt(src, i + 1);
      atom(top, q, false, true);
      i = q.end;
    }
  }
  return undefined;
}
