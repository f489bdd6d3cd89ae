/**
 * `tocsin rules test 'QUERY' < events` runs a log rule's query locally, with the same compiler the gateway uses, over
 * events on stdin and prints those that match (`--why`: each term's verdict and the value it saw). `tocsin rules`
 * lists the configured rules of a running gateway with their match counts (GET /api/v1/rules).
 */
import type { Command } from 'commander';
import { compileLql } from '../logs/lql/compile.ts';
import { explainLql, formatExplanation } from '../logs/lql/explain.ts';
import { CliError, EXIT } from './exit.ts';
import { call, GatewayError } from './http-client.ts';
import { adminToken, withAdmin, type AdminOptions } from './options.ts';
import { output, shortTime } from './output.ts';
import { readEvents } from './rules-input.ts';
import { table, terminalWidth } from './table.ts';

interface RuleView extends Record<string, unknown> {
  source: string;
  name: string;
  query: string;
  matched_total: number;
  alerts_active: number;
  last_match_at: string | null;
}

/** The query with a caret under the column: what a syntax error shows. Tabs and newlines are shown as spaces. */
export function caretUnder(query: string, column: number): string {
  const shown = query.replace(/[\t\n\r\f\v]/g, ' ');
  return `  ${shown}\n  ${' '.repeat(Math.max(0, column - 1))}^`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function testQuery(query: string, o: { why?: boolean }): Promise<void> {
  const compiled = compileLql(query);
  if (!compiled.ok) throw new CliError(`query: column ${compiled.column}: ${compiled.message}\n${caretUnder(query, compiled.column)}`, EXIT.usage);
  if (process.stdin.isTTY) throw new CliError("give the events on stdin, e.g. tocsin rules test 'm.level:error' < events.ndjson", EXIT.usage);
  const input = readEvents(await readStdin());
  if (input.fatal) throw new CliError(input.fatal);
  for (const p of input.problems) process.stderr.write(`warning: ${p}\n`);
  let matched = 0;
  const out: string[] = [];
  for (const { at, event, raw } of input.events) {
    if (!compiled.predicate(event)) continue;
    matched++;
    const line = raw ?? JSON.stringify(event);
    if (o.why) {
      const x = explainLql(query, event);
      out.push(`${at}: ${line}`, ...(x.ok ? formatExplanation(x.tree).map((l) => `    ${l}`) : []));
    } else out.push(line);
    // Print as we go on a large file.
    if (out.length > 512) process.stdout.write(`${out.splice(0).join('\n')}\n`);
  }
  if (out.length) process.stdout.write(`${out.join('\n')}\n`);
  const skipped = input.problems.length ? `; ${input.problems.length} skipped (not a JSON object)` : '';
  // The summary goes to stderr, so the matching lines on stdout can be piped on (| jq).
  process.stderr.write(`${matched} of ${input.events.length} ${input.events.length === 1 ? 'event matches' : 'events match'}${skipped}\n`);
}

export function registerRulesCommand(program: Command): void {
  const rules = withAdmin(program.command('rules'))
    .description("list the log rules of a running gateway with their match counts; 'rules test' tries a query on events")
    .action(async (o: AdminOptions) => {
      let body: { rules: RuleView[] };
      try {
        body = (await call<{ rules: RuleView[] }>(o, 'GET', '/api/v1/rules', adminToken(o))).body;
      } catch (e) {
        // The gateway answers 404 when no logs source is configured.
        if (e instanceof GatewayError && e.status === 404) {
          output(o.json, { rules: [] }, () => 'no log rules configured');
          return;
        }
        throw e;
      }
      output(o.json, body, () => {
        if (!body.rules.length) return 'no log rules configured';
        const rows = body.rules.map((r) => ({ ...r, last: shortTime(r.last_match_at) }));
        return table(
          rows,
          [
            { key: 'source', drop: 2 },
            { key: 'name', keep: true },
            { key: 'matched_total', header: 'MATCHED' },
            { key: 'alerts_active', header: 'FIRING' },
            { key: 'last', header: 'LAST MATCH', drop: 1 },
            { key: 'query', flex: true },
          ],
          terminalWidth(),
        );
      });
    });

  rules
    .command('test')
    .description('print the events on stdin (NDJSON, a JSON array or {"batch": [...]}) that a query matches, and a count on stderr')
    .argument('<query>', "an LQL query, e.g. 'm.level:error -\"health check\"' (see docs/logs-query.md); one that starts with - goes after --: rules test -- '-m.env:dev'")
    .option('-v, --why', 'under each match, which terms matched and the values they saw')
    .action(async (query: string, o: { why?: boolean }) => testQuery(query, o));
}
