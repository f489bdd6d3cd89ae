/** LQL, the query language of log rules: see docs/logs-query.md. */
export { compileLql, compileRuleSet, describeLqlError, type CompiledLql, type RuleSetMatcher } from './compile.ts';
export { explainLql, formatExplanation, type Explanation, type ExplainResult } from './explain.ts';
export { MAX_DEPTH, MAX_QUERY_LENGTH, parseLql } from './parser.ts';
export type { LqlNode } from './ast.ts';
