/**
 * What `m.field:…` means for the value found at the field. Pure; the compiler and `explainLql` share it, so an
 * explanation can never disagree with the predicate.
 *
 * - Equality: an unquoted number equals a numeric field or a numeric string numerically (`m.status:500` matches 500
 *   and "500"); `true`/`false` equal booleans and the strings "true"/"false"; anything else, and any quoted value,
 *   equals a string exactly (case-sensitive) or a number/boolean written the same way.
 * - `>` `>=` `<` `<=`: numerically when the value written is a number (a non-numeric field never matches), else as
 *   strings in code-unit order (ISO timestamps compare correctly that way).
 * - Arrays, objects, null and missing fields match only `NULL` (missing or null), `@>` (arrays) and negations.
 */
import type { Comparison, FieldTest, Literal } from './ast.ts';
import { NUMERIC } from './parser.ts';

export type ValueTest = (value: unknown) => boolean;

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return undefined;
}

/** A scalar as a regex or a quoted value sees it; arrays, objects, null: none. */
function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export function equalsTest(lit: Literal): ValueTest {
  const { text, num, bool } = lit;
  if (bool !== undefined) return (v) => v === bool || v === text;
  if (num !== undefined) return (v) => (typeof v === 'number' ? v === num : typeof v === 'string' && (v === text || (NUMERIC.test(v) && Number(v) === num)));
  return (v) => (typeof v === 'string' ? v === text : (typeof v === 'number' || typeof v === 'boolean') && String(v) === text);
}

const ORDER: Record<Comparison, (a: number | string, b: number | string) => boolean> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
};

export function compareTest(cmp: Comparison, lit: Literal): ValueTest {
  const order = ORDER[cmp];
  if (lit.num !== undefined) {
    const n = lit.num;
    return (v) => {
      const x = asNumber(v);
      return x !== undefined && order(x, n);
    };
  }
  const t = lit.text;
  return (v) => typeof v === 'string' && order(v, t);
}

export function regexTest(re: RegExp): ValueTest {
  return (v) => {
    const t = asText(v);
    return t !== undefined && re.test(t);
  };
}

/** The compiled test of one field term: the value is what `fieldValue` found (undefined when missing). */
export function valueTest(test: FieldTest): ValueTest {
  switch (test.op) {
    case 'eq':
      return equalsTest(test.value);
    case 'cmp':
      return compareTest(test.cmp, test.value);
    case 'regex':
      return regexTest(test.re);
    case 'contains': {
      const eq = equalsTest(test.value);
      return (v) => Array.isArray(v) && v.some(eq);
    }
    case 'contains-regex': {
      const m = regexTest(test.re);
      return (v) => Array.isArray(v) && v.some(m);
    }
    case 'null':
      return (v) => v === undefined || v === null;
    case 'range': {
      const { lo, hi } = test;
      return (v) => {
        const x = asNumber(v);
        return x !== undefined && x >= lo && x <= hi;
      };
    }
  }
}
