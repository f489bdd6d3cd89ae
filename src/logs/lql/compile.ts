/**
 * LQL compiled to closures, once per config load. Evaluating 50 rules on every ingested line must stay far below the
 * cost of parsing the line, so the per-event work that rules share is done once per event in an EventView: the
 * message is found and lower-cased at most once, and each distinct `m.field` path is looked up at most once, whatever
 * number of rules name it. Within AND and OR the cheaper terms run first (terms have no side effects, so the order
 * changes only the time taken).
 */
import { fieldValue, messageOf, type LogEvent } from '../event.ts';
import type { FieldTest, LqlNode } from './ast.ts';
import { parseLql } from './parser.ts';
import { valueTest } from './values.ts';

const NO_EVENT: LogEvent = Object.freeze({});

/** Numbers each distinct field path, so rules that name the same field share one lookup per event. */
class FieldSlots {
  readonly paths: (readonly string[])[] = [];
  private readonly byKey = new Map<string, number>();

  slot(path: readonly string[]): number {
    const key = path.join('\u0000');
    let s = this.byKey.get(key);
    if (s === undefined) {
      s = this.paths.length;
      this.byKey.set(key, s);
      this.paths.push(path);
    }
    return s;
  }
}

/** One event as the predicates see it; reused from event to event (set), so matching allocates nothing. */
class EventView {
  event: LogEvent = NO_EVENT;
  private msg: string | undefined;
  private low: string | undefined;
  private values: unknown[] = [];
  /** values[i] belongs to the current event when seen[i] === epoch: resetting is one increment, not a clear. */
  private seen = new Uint32Array(0);
  private epoch = 1;

  constructor(private readonly slots: FieldSlots) {}

  set(event: LogEvent): void {
    this.event = event;
    this.msg = undefined;
    this.low = undefined;
    if (this.seen.length !== this.slots.paths.length) {
      this.seen = new Uint32Array(this.slots.paths.length);
      this.values = new Array<unknown>(this.slots.paths.length);
    }
    if (++this.epoch === 0xffffffff) {
      this.seen.fill(0);
      this.epoch = 1;
    }
  }

  /** Forget the event, so a matcher does not keep the last line (and what it holds) alive. */
  clear(): void {
    this.event = NO_EVENT;
    this.msg = undefined;
    this.low = undefined;
    this.values.fill(undefined);
  }

  message(): string {
    return (this.msg ??= messageOf(this.event));
  }

  lower(): string {
    return (this.low ??= this.message().toLowerCase());
  }

  field(slot: number): unknown {
    if (this.seen[slot] === this.epoch) return this.values[slot];
    const v = fieldValue(this.event, this.slots.paths[slot]!);
    this.values[slot] = v;
    this.seen[slot] = this.epoch;
    return v;
  }
}

type Pred = (v: EventView) => boolean;

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

function build(n: LqlNode, slots: FieldSlots): Pred {
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

export interface RuleSetMatcher {
  /** Indexes (into the queries given) of the rules the event matches, in order. */
  (event: LogEvent): number[];
  /** The same without allocating: calls `onMatch` for each matching rule, in order; returns how many matched. */
  forEachMatch(event: LogEvent, onMatch: (index: number) => void): number;
  readonly size: number;
}

/**
 * Compiles the rules of a source into one matcher that shares the per-event work between them. The queries must
 * have been checked with compileLql at config load (that is where a syntax error names its rule); one that does not
 * compile here is a bug and throws.
 */
export function compileRuleSet(queries: readonly string[]): RuleSetMatcher {
  const slots = new FieldSlots();
  const preds = queries.map((q, i) => {
    const parsed = parseLql(q);
    if (!parsed.ok) throw new Error(`compileRuleSet: query ${i} does not compile (column ${parsed.column}: ${parsed.message}); check queries with compileLql first`);
    return build(parsed.node, slots);
  });
  const view = new EventView(slots);
  const n = preds.length;
  const forEachMatch = (event: LogEvent, onMatch: (index: number) => void): number => {
    view.set(event);
    let count = 0;
    try {
      for (let i = 0; i < n; i++) {
        if (preds[i]!(view)) {
          count++;
          onMatch(i);
        }
      }
    } finally {
      view.clear();
    }
    return count;
  };
  const matcher = (event: LogEvent): number[] => {
    const out: number[] = [];
    view.set(event);
    for (let i = 0; i < n; i++) if (preds[i]!(view)) out.push(i);
    view.clear();
    return out;
  };
  return Object.assign(matcher, { forEachMatch, size: n });
}
