/** LQL, the query language of log rules: see docs/logs-query.md. */
export { compileLql, describeLqlError, type CompiledLql } from './compile.ts';
export { compileRuleSet, type RuleSetMatcher } from './ruleset.ts';
export { explainLql, formatExplanation, type Explanation, type ExplainResult } from './explain.ts';
export { MAX_DEPTH, MAX_QUERY_LENGTH, parseLql } from './parser.ts';
export type { LqlNode } from './ast.ts';
