import type { AlertEvent, JsonObject } from '../../domain/alert.ts';
import { fieldValue, type LogEvent } from '../event.ts';
import type { Rule } from './config.ts';
import { valueText } from './template.ts';
import type { RuleWindow } from './window.ts';

/** A group value that is not there (the field is missing or null) still makes a group of its own. */
const MISSING = '(none)';

/** The values of a rule's `group_by` fields in an event, keyed as written (`m.region`); undefined without group_by. */
export function groupOf(rule: Pick<Rule, 'groupBy'>, event: LogEvent): Record<string, string> | undefined {
  if (!rule.groupBy.length) return undefined;
  const out: Record<string, string> = {};
  for (const g of rule.groupBy) out[g.key] = valueText(fieldValue(event, g.path)) || MISSING;
  return out;
}

/** The alert's dedup key within its logs source: `<rule>[:<group value>]` (several group_by fields joined by `:`). */
export function dedupKeyOf(rule: Pick<Rule, 'name'>, group: Record<string, string> | undefined): string {
  return group ? `${rule.name}:${Object.values(group).join(':')}` : rule.name;
}

/**
 * The event tocsin ingests for a rule's alert: the matches since it was last sent (`metadata.matched`) and the first
 * `sample` of them (`metadata.data`). Its time to live is what is left of the quiet time since the last match, so it
 * resolves `resolve_after_quiet` after the last match however late in the window this update went out.
 */
export function ruleAlert(source: string, w: RuleWindow, taken: { matched: number; samples: JsonObject[] }, now: number): AlertEvent {
  const rule = w.rule;
  const metadata: JsonObject = { rule: rule.name, query: rule.query, matched: taken.matched, window_seconds: rule.windowMs / 1000 };
  if (w.group) metadata.group = { ...w.group };
  metadata.data = taken.samples;
  return {
    source,
    dedupKey: w.key,
    status: 'firing',
    title: w.title,
    severity: rule.severity,
    description: `Log events of ${source} matching ${rule.query}${rule.count > 1 ? ` (at least ${rule.count} within ${rule.windowMs / 1000}s)` : ''}`,
    metadata,
    resolveAfterMs: Math.max(1000, w.lastMatchAt + rule.quietMs - now),
  };
}
