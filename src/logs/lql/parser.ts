/**
 * Recursive-descent parser of LQL (Logflare's query language, the subset rules need). Grammar, loosest first:
 *
 *   query   = or
 *   or      = and { "OR" and }
 *   and     = unary { ["AND"] unary }          (terms side by side are ANDed)
 *   unary   = "-" unary | "(" or ")" | term    ("-" must touch what it negates)
 *   term    = word | "phrase" | ~regex | m.path:value
 *
 * It never throws: every problem is a value with the 1-based column (code points) of the offending character.
 * Recursion is bounded by MAX_DEPTH (parentheses and negations) and the input by MAX_QUERY_LENGTH, so a hostile
 * query cannot exhaust the stack or the CPU at config load.
 */
import type { Comparison, FieldTest, Literal, LqlNode, ParseResult } from './ast.ts';
import { compileRegex } from './regex.ts';

export const MAX_QUERY_LENGTH = 4096;
export const MAX_DEPTH = 32;

/** Unquoted numbers: what JSON and loggers write. `1e3` yes, `0x10`, `Infinity`, ` 5` no. */
export const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const FIELD_PREFIXES = ['m.', 'metadata.'] as const;
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

class Fail {
  constructor(
    readonly index: number,
    readonly message: string,
  ) {}
}

export function literal(text: string, quoted: boolean): Literal {
  if (quoted) return { text, quoted, num: undefined, bool: undefined };
  return { text, quoted, num: NUMERIC.test(text) ? Number(text) : undefined, bool: text === 'true' ? true : text === 'false' ? false : undefined };
}

class Parser {
  private i = 0;
  private readonly astral: boolean;

  constructor(private readonly src: string) {
    this.astral = /[\uD800-\uDFFF]/.test(src);
  }

  column(index: number): number {
    return this.astral ? [...this.src.slice(0, index)].length + 1 : index + 1;
  }

  parse(): LqlNode {
    this.skipSpace();
    if (this.i >= this.src.length) throw new Fail(0, 'the query is empty');
    const node = this.or(0);
    this.skipSpace();
    if (this.i < this.src.length) throw new Fail(this.i, this.src[this.i] === ')' ? 'unexpected ")": no "(" to close' : `unexpected ${JSON.stringify(this.src[this.i])}`);
    return node;
  }

  private skipSpace(): void {
    while (isSpace(this.src[this.i])) this.i++;
  }

  /** `AND` / `OR` as a whole word (followed by space, a group, a phrase or the end). */
  private keywordAt(word: 'AND' | 'OR'): boolean {
    if (!this.src.startsWith(word, this.i)) return false;
    const next = this.src[this.i + word.length];
    return next === undefined || isSpace(next) || next === '(' || next === ')' || next === '"';
  }

  private atTermEnd(): boolean {
    return this.i >= this.src.length || this.src[this.i] === ')' || this.keywordAt('OR');
  }

  private or(depth: number): LqlNode {
    const items = [this.and(depth)];
    for (;;) {
      this.skipSpace();
      if (!this.keywordAt('OR')) break;
      const at = this.i;
      this.i += 2;
      this.skipSpace();
      if (this.atTermEnd()) throw new Fail(at, '"OR" needs a term on each side');
      items.push(this.and(depth));
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private and(depth: number): LqlNode {
    const items = [this.unary(depth)];
    for (;;) {
      this.skipSpace();
      if (this.atTermEnd()) break;
      if (this.keywordAt('AND')) {
        const at = this.i;
        this.i += 3;
        this.skipSpace();
        if (this.atTermEnd() || this.keywordAt('AND')) throw new Fail(at, '"AND" needs a term on each side');
      }
      items.push(this.unary(depth));
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private unary(depth: number): LqlNode {
    const start = this.i;
    const c = this.src[this.i];
    if (c === undefined) throw new Fail(this.i, 'expected a term');
    if (c === ')') throw new Fail(this.i, 'unexpected ")": expected a term');
    if (this.keywordAt('AND') || this.keywordAt('OR')) throw new Fail(this.i, `"${this.keywordAt('OR') ? 'OR' : 'AND'}" needs a term on each side`);
    if (c === '-') {
      const next = this.src[this.i + 1];
      if (next === undefined || isSpace(next) || next === ')') throw new Fail(this.i + 1, 'expected a term right after "-" (write -word, -m.field:value or -(…))');
      if (depth + 1 > MAX_DEPTH) throw new Fail(this.i, `the query is nested deeper than ${MAX_DEPTH} levels`);
      this.i++;
      const item = this.unary(depth + 1);
      return { kind: 'not', item, column: this.column(start), source: this.src.slice(start, this.i) };
    }
    if (c === '(') {
      if (depth + 1 > MAX_DEPTH) throw new Fail(this.i, `the query is nested deeper than ${MAX_DEPTH} levels`);
      this.i++;
      this.skipSpace();
      if (this.src[this.i] === ')') throw new Fail(this.i, 'empty parentheses: expected a term');
      if (this.i >= this.src.length) throw new Fail(start, 'this "(" is never closed');
      const inner = this.or(depth + 1);
      this.skipSpace();
      if (this.src[this.i] !== ')') throw new Fail(this.i >= this.src.length ? start : this.i, this.i >= this.src.length ? 'this "(" is never closed' : `expected ")" to close the "(" at column ${this.column(start)}`);
      this.i++;
      return inner;
    }
    return this.term();
  }

  private term(): LqlNode {
    const start = this.i;
    const at = () => ({ column: this.column(start), source: this.src.slice(start, this.i) });
    const c = this.src[this.i];
    if (c === '"') {
      const text = this.quoted(false);
      if (text === '') throw new Fail(start, 'empty phrase ""');
      return { kind: 'text', text: text.toLowerCase(), ...at() };
    }
    if (c === '~') {
      this.i++;
      const re = this.regex('~');
      return { kind: 'message-regex', re, ...at() };
    }
    const prefix = FIELD_PREFIXES.find((p) => this.src.startsWith(p, this.i));
    if (prefix !== undefined) {
      const { path, test } = this.field(prefix, start);
      return { kind: 'field', path, test, ...at() };
    }
    const word = this.unquoted(false);
    return { kind: 'text', text: word.toLowerCase(), ...at() };
  }

  /** `m.path.to.field` `:` operator value. */
  private field(prefix: string, start: number): { path: string[]; test: FieldTest } {
    this.i += prefix.length;
    const path: string[] = [];
    for (;;) {
      const segStart = this.i;
      while (this.i < this.src.length && !/[\s.:"()]/.test(this.src[this.i]!)) this.i++;
      if (this.i === segStart) throw new Fail(this.i, `expected a field name after ${JSON.stringify(this.src.slice(start, this.i))}`);
      path.push(this.src.slice(segStart, this.i));
      if (this.src[this.i] !== '.') break;
      this.i++;
    }
    if (this.src[this.i] !== ':') {
      const written = this.src.slice(start, this.i);
      throw new Fail(this.i, `expected ":" and a value after ${JSON.stringify(written)} (e.g. ${written}:error); to search the message for it, quote it: "${written}"`);
    }
    this.i++;
    const after = () => JSON.stringify(this.src.slice(start, this.i));
    for (const cmp of ['>=', '<=', '>', '<'] as Comparison[]) {
      if (this.src.startsWith(cmp, this.i)) {
        this.i += cmp.length;
        return { path, test: { op: 'cmp', cmp, value: this.value(after()) } };
      }
    }
    if (this.src[this.i] === '~') {
      this.i++;
      return { path, test: { op: 'regex', re: this.regex(this.src.slice(start, this.i)) } };
    }
    if (this.src.startsWith('@>', this.i)) {
      this.i += 2;
      if (this.src[this.i] === '~') {
        this.i++;
        return { path, test: { op: 'contains-regex', re: this.regex(this.src.slice(start, this.i)) } };
      }
      return { path, test: { op: 'contains', value: this.value(after()) } };
    }
    const valueAt = this.i;
    const value = this.value(after());
    if (!value.quoted && (value.text === 'NULL' || value.text === 'null')) return { path, test: { op: 'null' } };
    const dots = value.quoted ? -1 : value.text.indexOf('..', 1);
    if (dots > 0) {
      const lo = value.text.slice(0, dots);
      const hi = value.text.slice(dots + 2);
      if (!NUMERIC.test(lo) || !NUMERIC.test(hi)) throw new Fail(valueAt, `a range needs a number on each side of "..", e.g. ${this.src.slice(start, valueAt)}500..599`);
      if (Number(lo) > Number(hi)) throw new Fail(valueAt, `empty range: ${lo} is above ${hi}`);
      return { path, test: { op: 'range', lo: Number(lo), hi: Number(hi) } };
    }
    return { path, test: { op: 'eq', value } };
  }

  private value(after: string): Literal {
    const c = this.src[this.i];
    if (c === undefined || isSpace(c) || c === ')') throw new Fail(this.i, `expected a value after ${after}`);
    if (c === '"') return literal(this.quoted(false), true);
    return literal(this.unquoted(false), false);
  }

  private regex(after: string): RegExp {
    const c = this.src[this.i];
    if (c === undefined || isSpace(c) || c === ')') throw new Fail(this.i, `expected a regular expression after ${JSON.stringify(after)}`);
    const at = this.i;
    const source = c === '"' ? this.quoted(true) : this.unquoted(true);
    if (source === '') throw new Fail(at, `expected a regular expression after ${JSON.stringify(after)}`);
    const r = compileRegex(source);
    if (!r.ok) throw new Fail(at, r.message);
    return r.re;
  }

  /**
   * Up to a space, or a ")" that closes a group of the query rather than one opened inside the token, so `(~a|b)`,
   * `foo(bar)` and `~(a|b)` all read as meant. In a regex a backslash keeps the next character and brackets hide
   * parentheses: `~\)` and `~[)]` are one token.
   */
  private unquoted(regex: boolean): string {
    const start = this.i;
    let depth = 0;
    let inClass = false;
    while (this.i < this.src.length) {
      const c = this.src[this.i]!;
      if (isSpace(c)) break;
      if (regex && c === '\\') {
        this.i += 2;
        continue;
      }
      if (regex && inClass) {
        if (c === ']') inClass = false;
      } else if (regex && c === '[') inClass = true;
      else if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
      }
      this.i++;
    }
    this.i = Math.min(this.i, this.src.length);
    return this.src.slice(start, this.i);
  }

  /**
   * A "quoted" string: `\"` is a quote and `\\` a backslash; any other backslash stays (so `"C:\temp"` means what it
   * says). In a regex only `\"` is unescaped: the rest is the regex's own escaping. The closing quote must end the
   * token, so `"a"b` is a mistake, not two terms.
   */
  private quoted(regex: boolean): string {
    const open = this.i;
    this.i++;
    let out = '';
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined) throw new Fail(open, 'this quote is never closed');
      if (c === '"') break;
      if (c === '\\' && (this.src[this.i + 1] === '"' || (!regex && this.src[this.i + 1] === '\\'))) {
        out += this.src[this.i + 1];
        this.i += 2;
        continue;
      }
      out += c;
      this.i++;
    }
    this.i++;
    const next = this.src[this.i];
    if (next !== undefined && !isSpace(next) && next !== ')') throw new Fail(this.i, 'expected a space after the closing quote');
    return out;
  }
}

/** Parses an LQL query into its tree, or says where and why it cannot. */
export function parseLql(query: string): ParseResult {
  if (query.length > MAX_QUERY_LENGTH) return { ok: false, column: [...query.slice(0, MAX_QUERY_LENGTH)].length + 1, message: `the query is longer than ${MAX_QUERY_LENGTH} characters` };
  const p = new Parser(query);
  try {
    return { ok: true, node: p.parse() };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, column: p.column(e.index), message: e.message };
    throw e;
  }
}
