import jsonata from 'jsonata';
import { z } from 'zod';
import { echo } from '../problems.ts';

/** A jsonata expression compiled once at config load, with its text kept for error messages. */
export interface Expression {
  readonly source: string;
  evaluate(input: unknown, bindings?: Record<string, unknown>): Promise<unknown>;
}

/**
 * Guard rails: a mapping runs inside the ingest request, so a runaway expression (an accidental recursion, a huge
 * `$map`) must fail that request quickly instead of holding the gateway.
 */
const GUARDS = { timeout: 250, stack: 500 } as const;

export type Compiled = { ok: true; value: Expression } | { ok: false; message: string };

/** jsonata throws plain objects `{ code, position, token, message }`, not Errors. */
function jsonataMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err) {
    const e = err as { message: unknown; position?: unknown };
    const at = typeof e.position === 'number' ? ` (at position ${e.position})` : '';
    // Some evaluation errors quote a value of the payload: cut, as every echo of it.
    return `${echo(e.message, 300)}${at}`;
  }
  return String(err);
}

export function compileExpression(source: string): Compiled {
  let compiled: ReturnType<typeof jsonata>;
  try {
    compiled = jsonata(source, GUARDS);
  } catch (err) {
    return { ok: false, message: `invalid jsonata expression ${JSON.stringify(source)}: ${jsonataMessage(err)}` };
  }
  return { ok: true, value: { source, evaluate: (input, bindings) => compiled.evaluate(input, bindings) } };
}

/**
 * A config value holding a jsonata expression: validated and compiled when the config loads, so a typo is a config
 * error at the option's key path (e.g. `sources.shop.title`), never a 400 at 3 a.m.
 */
export const expressionSchema = z
  .string({ invalid_type_error: 'must be a jsonata expression (a string)' })
  .trim()
  .min(1, 'must not be empty')
  .transform((source, ctx): Expression => {
    const compiled = compileExpression(source);
    if (compiled.ok) return compiled.value;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: compiled.message });
    return z.NEVER;
  });

export type Evaluated = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * Evaluates and turns jsonata's result into plain JSON: sequences become arrays, functions and `undefined` vanish.
 * An evaluation error is an outcome (it names the expression), not an exception.
 */
export async function evaluateExpression(
  expr: Expression,
  input: unknown,
  bindings: Record<string, unknown> = {},
): Promise<Evaluated> {
  try {
    const raw = await expr.evaluate(input, bindings);
    return { ok: true, value: raw === undefined ? undefined : JSON.parse(JSON.stringify(raw) ?? 'null') };
  } catch (err) {
    return { ok: false, message: `expression ${JSON.stringify(expr.source)} failed: ${jsonataMessage(err)}` };
  }
}

export type Text = { ok: true; value: string | undefined } | { ok: false; message: string };

/** One text value from an expression result: a single string, number or boolean; nothing when empty. */
export function asText(expr: Expression, result: unknown): Text {
  let value = result;
  // A loop, not recursion: `[[[…"x"…]]]` thousands deep is still one value.
  while (Array.isArray(value) && value.length === 1) value = value[0];
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (Array.isArray(value)) {
    if (value.length === 0) return { ok: true, value: undefined };
    return { ok: false, message: `expression ${JSON.stringify(expr.source)} returned ${value.length} values, expected one` };
  }
  if (typeof value === 'object') {
    return { ok: false, message: `expression ${JSON.stringify(expr.source)} returned an object, expected text` };
  }
  const text = String(value).trim();
  return { ok: true, value: text === '' ? undefined : text };
}

/** jsonata's own truthiness ($boolean): empty strings, zero, empty arrays and objects are false. */
export function isTruthy(value: unknown): boolean {
  // Walked with a stack, not recursion: a result nested thousands deep must not overflow it.
  const stack = [value];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (v && typeof v === 'object' ? Object.keys(v).length > 0 : Boolean(v)) return true;
  }
  return false;
}
