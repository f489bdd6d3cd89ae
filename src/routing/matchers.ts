import type { JsonValue } from '../domain/alert.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  label: string;
  op: MatchOp;
  value: string;
  /** Compiled once at config load; anchored like Alertmanager's, so `crit` does not match `critical`. */
  regex?: RegExp;
}

export function compileMatcher(label: string, op: MatchOp, value: string): Matcher {
  if (op === '=~' || op === '!~') return { label, op, value, regex: new RegExp(`^(?:${value})$`) };
  return { label, op, value };
}

/** The labels a route can look at: `source`, `severity`, and the alert's top-level metadata values. */
export interface MatchTarget {
  source: string;
  severity?: string | undefined;
  metadata: { [key: string]: JsonValue };
}

function valuesOf(target: MatchTarget, label: string): string[] {
  if (label === 'source') return [target.source];
  if (label === 'severity') return target.severity ? [target.severity] : [];
  const v = target.metadata[label];
  if (v === undefined || v === null) return [];
  // A list label (`team: [payments, checkout]`) matches when any of its scalar members does.
  const list = Array.isArray(v) ? v : [v];
  return list.filter((x) => x !== null && typeof x !== 'object').map((x) => String(x));
}

export function matches(m: Matcher, target: MatchTarget): boolean {
  const values = valuesOf(target, m.label);
  switch (m.op) {
    case '=':
      return values.includes(m.value);
    case '!=':
      return !values.includes(m.value);
    case '=~':
      return values.some((v) => m.regex!.test(v));
    case '!~':
      return !values.some((v) => m.regex!.test(v));
  }
}

export function matchesAll(ms: readonly Matcher[], target: MatchTarget): boolean {
  return ms.every((m) => matches(m, target));
}
