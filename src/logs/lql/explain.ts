/**
 * `explainLql`: what `tocsin rules test --why` prints. It evaluates every term (no short-circuit, so the user sees
 * each one) with the same value tests as the compiled predicate, and says what it saw: the field's value, or that
 * the field or the message is missing.
 */
import { fieldValue, messageOf, type LogEvent } from '../event.ts';
import type { FieldTest, LqlNode } from './ast.ts';
import { parseLql } from './parser.ts';
import { valueTest } from './values.ts';

export interface Explanation {
  readonly matched: boolean;
  /** The term as written (for AND/OR: "all of" / "any of"). */
  readonly term: string;
  /** What was seen, e.g. `m.level is "error"`, `the message does not contain "timeout"`. */
  readonly why: string;
  readonly column?: number;
  readonly children?: readonly Explanation[];
}

export type ExplainResult = { readonly ok: true; readonly matched: boolean; readonly tree: Explanation } | { readonly ok: false; readonly column: number; readonly message: string };

const SHOWN = 80;

/** A value as the user wrote it in JSON, cut to one readable line. */
function shown(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > SHOWN ? `${s.slice(0, SHOWN - 1)}…` : s;
}

function testWords(t: FieldTest): string {
  switch (t.op) {
    case 'eq':
      return `equal ${t.value.quoted ? JSON.stringify(t.value.text) : t.value.text}`;
    case 'cmp':
      return `be ${t.cmp} ${t.value.text}`;
    case 'regex':
      return `match /${t.re.source}/${t.re.flags}`;
    case 'contains':
      return `be an array containing ${t.value.text}`;
    case 'contains-regex':
      return `be an array with an element matching /${t.re.source}/${t.re.flags}`;
    case 'null':
      return 'be missing or null';
    case 'range':
      return `be a number from ${t.lo} to ${t.hi}`;
  }
}

function explainNode(n: LqlNode, event: LogEvent): Explanation {
  switch (n.kind) {
    case 'and':
    case 'or': {
      const children = n.items.map((i) => explainNode(i, event));
      const matched = n.kind === 'and' ? children.every((c) => c.matched) : children.some((c) => c.matched);
      const failing = children.filter((c) => !c.matched).length;
      const why = n.kind === 'and' ? (matched ? 'every term matches' : `${failing} of ${children.length} terms do not match`) : matched ? `${children.length - failing} of ${children.length} terms match` : 'no term matches';
      return { matched, term: n.kind === 'and' ? 'all of' : 'any of', why, children };
    }
    case 'not': {
      const inner = explainNode(n.item, event);
      return { matched: !inner.matched, term: n.source, column: n.column, why: inner.matched ? 'the negated term matches' : 'the negated term does not match', children: [inner] };
    }
    case 'text': {
      const msg = messageOf(event);
      const matched = msg.toLowerCase().includes(n.text);
      const why = msg === '' ? 'the event has no message (event_message, message, msg, log or text)' : `the message ${matched ? 'contains' : 'does not contain'} ${JSON.stringify(n.text)} (any case)`;
      return { matched, term: n.source, column: n.column, why };
    }
    case 'message-regex': {
      const msg = messageOf(event);
      const matched = n.re.test(msg);
      const why = msg === '' && !matched ? 'the event has no message (event_message, message, msg, log or text)' : `the message ${matched ? 'matches' : 'does not match'} /${n.re.source}/${n.re.flags}`;
      return { matched, term: n.source, column: n.column, why };
    }
    case 'field': {
      const v = fieldValue(event, n.path);
      const matched = valueTest(n.test)(v);
      const name = `m.${n.path.join('.')}`;
      const seen = v === undefined ? `${name} is missing` : `${name} is ${shown(v)}`;
      return { matched, term: n.source, column: n.column, why: matched ? seen : `${seen}; it must ${testWords(n.test)}` };
    }
  }
}

export function explainLql(query: string, event: LogEvent): ExplainResult {
  const parsed = parseLql(query);
  if (!parsed.ok) return parsed;
  const tree = explainNode(parsed.node, event);
  return { ok: true, matched: tree.matched, tree };
}

/** The explanation as indented lines: `✓ m.level:error  m.level is "error"`. */
export function formatExplanation(tree: Explanation, indent = '  '): string[] {
  const lines: string[] = [];
  const walk = (e: Explanation, depth: number) => {
    lines.push(`${indent.repeat(depth)}${e.matched ? '✓' : '✗'} ${e.term}  — ${e.why}`);
    for (const c of e.children ?? []) walk(c, depth + 1);
  };
  walk(tree, 0);
  return lines;
}
