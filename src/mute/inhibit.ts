import type { Labels } from '../domain/labels.ts';
import type { Matcher } from '../routing/matchers.ts';
import { allMatch } from './matchers.ts';

/** Alertmanager's inhibit rule: a firing alert matching `source` mutes alerts matching `target` that share `equal`. */
export interface InhibitRule {
  source: Matcher[];
  target: Matcher[];
  equal: string[];
}

export interface LabelledAlert {
  id: string;
  labels: Labels;
}

/** A label's values as one comparable value; missing and empty are the same, as in Alertmanager. */
const valueOf = (labels: Labels, name: string) => (labels[name] ?? []).join('\u0000');

/** Does this rule let `source` inhibit `target`? An alert never inhibits itself (Alertmanager's rule too). */
export function inhibits(rule: InhibitRule, source: LabelledAlert, target: LabelledAlert): boolean {
  if (source.id === target.id) return false;
  if (!allMatch(rule.target, target.labels) || !allMatch(rule.source, source.labels)) return false;
  return rule.equal.every((name) => valueOf(source.labels, name) === valueOf(target.labels, name));
}

/**
 * The active alert that inhibits `target`, if any. `sources` are the active alerts matching some rule's source
 * matchers (the muter keeps them); an alert matching both sides of a rule may be inhibited by another one, never by
 * itself.
 */
export function inhibitedBy(rules: readonly InhibitRule[], sources: Iterable<LabelledAlert>, target: LabelledAlert): string | undefined {
  const candidates = rules.filter((r) => allMatch(r.target, target.labels));
  if (!candidates.length) return undefined;
  for (const s of sources) for (const r of candidates) if (inhibits(r, s, target)) return s.id;
  return undefined;
}

/** Whether an alert can inhibit anything (the muter only keeps those). */
export const isInhibitSource = (rules: readonly InhibitRule[], labels: Labels) => rules.some((r) => allMatch(r.source, labels));
