/**
 * The one place the rules meet the LQL compiler (src/logs/lql/, written beside this): a query checked for
 * check-config, and every rule's query compiled into one matcher per config load.
 */
import { compileLql, compileRuleSet, describeLqlError, type RuleSetMatcher } from '../lql/index.ts';

/** The indexes of the rules an event matches (in rule order); `forEachMatch` the same without allocating. */
export type EventMatcher = RuleSetMatcher;

export type QueryCheck = { ok: true } | { ok: false; column: number; message: string };

export function compileQuery(query: string): QueryCheck {
  const r = compileLql(query);
  return r.ok ? { ok: true } : { ok: false, column: r.column, message: r.message };
}

/** The check-config line for a query that does not compile: the rule, the column, what is wrong. */
export const queryProblem = (rule: string, err: { column: number; message: string }): string => describeLqlError(rule, err);

export function compileQueries(queries: string[]): EventMatcher {
  return compileRuleSet(queries);
}
