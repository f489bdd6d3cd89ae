/**
 * LQL compiled to closures, once per config load. Each closure reads the event through an EventView (view.ts), which
 * rules of a set share (ruleset.ts). Within AND and OR the cheaper terms run first: terms have no side effects, so
 * the order changes only the time taken.
 */
import type { LogEvent } from '../event.ts';
import type { FieldTest, LqlNode } from './ast.ts';
import { parseLql } from './parser.ts';
import { valueTest } from './values.ts';
import { EventView, FieldSlots, type Pred } from './view.ts';

const TEST_COST: Record<FieldTest['op'], number> = { eq: 1, null: 1, range: 1, cmp: 1, contains: 3, regex: 5, 'contains-regex': 6 };

function cost(n: LqlNode): number {
  switch (n.kind) {
    case 'and':
    case 'or':
      return n.items.reduce((s, i) => s + cost(i), 0);
    case 'not':
      return cost(n.item);
    case 'text':
      return 2;
    case 'message-regex':
      return 5;
    case 'field':
      return TEST_COST[n.test.op];
  }
}

function all(ps: Pred[]): Pred {
  const [a, b, c] = ps as [Pred, Pred, Pred];
  if (ps.length === 2) return (v) => a(v) && b(v);
  if (ps.length === 3) return (v) => a(v) && b(v) && c(v);
  return (v) => {
    for (const p of ps) if (!p(v)) return false;
    return true;
  };
}

function any(ps: Pred[]): Pred {
  const [a, b, c] = ps as [Pred, Pred, Pred];
  if (ps.length === 2) return (v) => a(v) || b(v);
  if (ps.length === 3) return (v) => a(v) || b(v) || c(v);
  return (v) => {
    for (const p of ps) if (p(v)) return true;
    return false;
  };
}

/** The closure of a parsed query; `slots` numbers the field paths it reads (shared by a rule set). */
export function build(n: LqlNode, slots: FieldSlots): Pred {
  switch (n.kind) {
    case 'and':
    case 'or': {
      const ps = [...n.items].sort((x, y) => cost(x) - cost(y)).map((i) => build(i, slots));
      return n.kind === 'and' ? all(ps) : any(ps);
    }
    case 'not': {
      const p = build(n.item, slots);
      return (v) => !p(v);
    }
    case 'text': {
      const t = n.text;
      return (v) => v.lower().includes(t);
    }
    case 'message-regex': {
      const re = n.re;
      return (v) => re.test(v.message());
    }
    case 'field': {
      const slot = slots.slot(n.path);
      const test = valueTest(n.test);
      return (v) => test(v.field(slot));
    }
  }
}

function fieldsOf(n: LqlNode, out: Map<string, readonly string[]>): void {
  if (n.kind === 'and' || n.kind === 'or') for (const i of n.items) fieldsOf(i, out);
  else if (n.kind === 'not') fieldsOf(n.item, out);
  else if (n.kind === 'field') out.set(n.path.join('\u0000'), n.path);
}

export type CompiledLql =
  | { readonly ok: true; readonly predicate: (e: LogEvent) => boolean; readonly fields: string[][] }
  | { readonly ok: false; readonly column: number; readonly message: string };

/** Compiles one query. `fields` lists the `m.` paths it reads (without `m.`), each once. */
export function compileLql(query: string): CompiledLql {
  const parsed = parseLql(query);
  if (!parsed.ok) return parsed;
  const slots = new FieldSlots();
  const pred = build(parsed.node, slots);
  const view = new EventView(slots);
  const fields = new Map<string, readonly string[]>();
  fieldsOf(parsed.node, fields);
  return {
    ok: true,
    predicate: (e) => {
      view.set(e);
      const r = pred(view);
      view.clear();
      return r;
    },
    fields: [...fields.values()].map((p) => [...p]),
  };
}

/** `rule "payment-errors": column 14: expected a value after "m.level:"` */
export function describeLqlError(ruleName: string, err: { column: number; message: string }): string {
  return `rule ${JSON.stringify(ruleName)}: column ${err.column}: ${err.message}`;
}
