import type { Labels } from '../domain/labels.ts';

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

/** What a matcher looks at: an alert's labels (`labelsOf` in domain/labels.ts). */
export type MatchTarget = Labels;

/** A label with several values (`tags: [nightly, finance]`) matches `=`/`=~` when any value does. */
function valuesOf(target: MatchTarget, label: string): readonly string[] {
  return target[label] ?? [];
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
