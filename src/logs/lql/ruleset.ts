/**
 * All the rules of a logs source as one matcher. Evaluating 50 rules on every ingested line must cost less than
 * parsing the line, so:
 * - the per-event work rules share is done once per event in one EventView (message lowering, field lookups);
 * - a rule that requires a field to equal a word (`m.service:payments …`, the commonest shape) is guarded by it: the
 *   field's value is read once per event, and a rule whose word differs is skipped with one string comparison
 *   instead of running its closures. The guard is implied by the rule, so it never changes what matches.
 */
import type { LogEvent } from '../event.ts';
import type { LqlNode } from './ast.ts';
import { build } from './compile.ts';
import { parseLql } from './parser.ts';
import { EventView, FieldSlots } from './view.ts';

export interface RuleSetMatcher {
  /** Indexes (into the queries given) of the rules the event matches, in order. */
  (event: LogEvent): number[];
  /**
   * The same without allocating: calls `onMatch` for each matching rule, in order; returns how many matched.
   * `onMatch` must not call this matcher again (the event's shared state is in use).
   */
  forEachMatch(event: LogEvent, onMatch: (index: number) => void): number;
  readonly size: number;
}

/** The key a scalar equals under `m.f:word` (a string as is; a number or boolean as written); none for the rest. */
function keyOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * A top-level conjunct `m.f:word` whose word is neither a number nor a boolean: then the rule can match only when
 * keyOf(field) === word (values.ts equalsTest, the plain-text case).
 */
function guardOf(n: LqlNode): { path: readonly string[]; key: string } | undefined {
  for (const c of n.kind === 'and' ? n.items : [n]) {
    if (c.kind === 'field' && c.test.op === 'eq' && c.test.value.num === undefined && c.test.value.bool === undefined) return { path: c.path, key: c.test.value.text };
  }
  return undefined;
}

/**
 * Compiles the rules of a source into one matcher. The queries must have been checked with compileLql at config
 * load (that is where a syntax error names its rule); one that does not compile here is a bug and throws.
 */
export function compileRuleSet(queries: readonly string[]): RuleSetMatcher {
  const slots = new FieldSlots();
  const n = queries.length;
  const preds = new Array<(v: EventView) => boolean>(n);
  /** Per rule: index into guardSlots, or -1 when unguarded; and the word its field must equal. */
  const guardOfRule = new Int32Array(n).fill(-1);
  const guardKey = new Array<string | undefined>(n);
  const guardSlots: number[] = [];
  queries.forEach((q, i) => {
    const parsed = parseLql(q);
    if (!parsed.ok) throw new Error(`compileRuleSet: query ${i} does not compile (column ${parsed.column}: ${parsed.message}); check queries with compileLql first`);
    preds[i] = build(parsed.node, slots);
    const g = guardOf(parsed.node);
    if (g) {
      const slot = slots.slot(g.path);
      let gi = guardSlots.indexOf(slot);
      if (gi < 0) gi = guardSlots.push(slot) - 1;
      guardOfRule[i] = gi;
      guardKey[i] = g.key;
    }
  });
  const view = new EventView(slots);
  const keys = new Array<string | undefined>(guardSlots.length);

  /** Calls `hit` for each matching rule; the view holds the event meanwhile. */
  const run = (event: LogEvent, hit: (i: number) => void): number => {
    view.set(event);
    let count = 0;
    try {
      for (let g = 0; g < guardSlots.length; g++) keys[g] = keyOf(view.field(guardSlots[g]!));
      for (let i = 0; i < n; i++) {
        const g = guardOfRule[i]!;
        if (g >= 0 && keys[g] !== guardKey[i]) continue;
        if (preds[i]!(view)) {
          count++;
          hit(i);
        }
      }
    } finally {
      view.clear();
      keys.fill(undefined);
    }
    return count;
  };
  const matcher = (event: LogEvent): number[] => {
    const out: number[] = [];
    run(event, (i) => out.push(i));
    return out;
  };
  return Object.assign(matcher, { forEachMatch: run, size: n });
}
