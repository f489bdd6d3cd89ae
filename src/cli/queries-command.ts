/**
 * `tocsin queries`: the scheduled alert queries of a running gateway, with their last run (GET /api/v1/queries).
 * `tocsin queries run <name>`: runs one query now, here, with the config file — not through the gateway, so the
 * gateway's schedule and run history are untouched — and prints the rows and the alert events it would send.
 */
import type { Command } from 'commander';
import { resultEvents } from '../queries/alerts.ts';
import { connect } from '../queries/databases/index.ts';
import { maskUrl } from '../queries/databases/url.ts';
import { loadCommandConfig } from './config-path.ts';
import { CliError, EXIT } from './exit.ts';
import { call } from './http-client.ts';
import { adminToken, wholeNumber, withAdmin, type AdminOptions } from './options.ts';
import { output, shortTime } from './output.ts';
import { table, terminalWidth } from './table.ts';

interface RunView {
  started_at: string;
  duration_ms: number | null;
  outcome: string;
  rows: number | null;
  truncated: boolean;
  error: string | null;
}
interface QueryView {
  name: string;
  database: string;
  schedule: { every_ms: number } | { cron: string; timezone: string };
  next_run_at: string | null;
  last_runs: RunView[];
}

const human = (ms: number) => (ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
const scheduleText = (s: QueryView['schedule']) => ('every_ms' in s ? `every ${human(s.every_ms)}` : `cron ${s.cron}${s.timezone !== 'UTC' ? ` (${s.timezone})` : ''}`);

export function registerQueriesCommand(program: Command): void {
  const queries = withAdmin(program.command('queries'))
    .description('list the scheduled alert queries of a running gateway with their last runs; `queries run <name>` runs one here')
    .option('--runs <n>', 'runs shown per query (the table shows the last one; --json all of them)', wholeNumber(1, 100), 10)
    .action(async (o: AdminOptions & { runs: number }) => {
      const r = await call<{ queries: QueryView[] }>(o, 'GET', `/api/v1/queries?runs=${o.runs}`, adminToken(o));
      output(o.json, r.body, () => {
        const rows = r.body.queries.map((q) => {
          const last = q.last_runs[0];
          return {
            name: q.name,
            database: q.database,
            schedule: scheduleText(q.schedule),
            next: shortTime(q.next_run_at),
            last: last ? shortTime(last.started_at) : 'never',
            outcome: last?.outcome,
            rows: last?.rows === null || last?.rows === undefined ? undefined : `${last.rows}${last.truncated ? '+' : ''}`,
            ms: last?.duration_ms,
            error: last?.error,
          };
        });
        if (!rows.length) return 'no queries configured (queries: in the config file, see docs/queries.md)';
        return table(rows, [{ key: 'name', keep: true }, { key: 'database', drop: 3 }, 'schedule', { key: 'next', header: 'NEXT RUN', drop: 2 }, { key: 'last', header: 'LAST RUN', drop: 1 }, 'outcome', 'rows', { key: 'ms', header: 'MS', drop: 4 }, { key: 'error', flex: true }], terminalWidth());
      });
    });

  queries
    .command('run')
    .description('run one query now with the config file (the gateway is not involved): print its rows and the alerts it would send')
    .argument('<name>', 'the query\'s name')
    .option('-c, --config <file>', 'config file (default: $TOCSIN_CONFIG or ./tocsin.yaml)')
    .option('--json', 'print JSON')
    .action(async (name: string, own: { config?: string; json?: boolean }, cmd: Command) => {
      // `--json` is also an option of `queries` itself: commander may have given it to the parent.
      const o = cmd.optsWithGlobals<{ config?: string; json?: boolean }>();
      const { config } = loadCommandConfig(own.config ?? o.config);
      const spec = config.queries.queries.find((q) => q.name === name);
      if (!spec) throw new CliError(`no query named "${name}" (configured: ${config.queries.queries.map((q) => q.name).join(', ') || 'none'})`, EXIT.usage);
      const database = config.queries.databases.get(spec.database)!;
      const connector = connect(database);
      const t0 = performance.now();
      const outcome = await connector.run(spec.sql, { maxRows: spec.maxRows, timeoutMs: spec.timeoutMs }).finally(() => connector.close());
      const durationMs = Math.round(performance.now() - t0);
      const where = `${spec.database} (${maskUrl(database.url)})`;
      if (!outcome.ok) {
        output(o.json, { query: name, database: spec.database, duration_ms: durationMs, outcome: outcome.kind === 'timeout' ? 'timeout' : 'failed', error: outcome.message }, () => `query ${name} on ${where} ${outcome.kind === 'timeout' ? 'timed out' : 'failed'} after ${durationMs} ms: ${outcome.message}`);
        process.exitCode = EXIT.failure;
        return;
      }
      // Without the gateway's database the active alerts are unknown: resolves are described, not listed.
      const events = resultEvents(spec, outcome.rows, outcome.truncated, []);
      const summary = events.map((e) => ({ status: e.status, dedup_key: e.dedupKey, title: e.title, severity: e.severity, rows: e.metadata.row_count, truncated: e.metadata.truncated === true }));
      const resolves = outcome.truncated ? 'the result was truncated: no alert would be resolved' : spec.groupBy.length ? 'any firing group of this query not listed here would be resolved' : events.length ? '' : `the alert ${name} would be resolved if it is firing`;
      output(o.json, { query: name, database: spec.database, duration_ms: durationMs, columns: outcome.columns, rows: outcome.rows, truncated: outcome.truncated, would_send: events.map((e) => ({ source: e.source, dedup_key: e.dedupKey, status: e.status, title: e.title, description: e.description, severity: e.severity, metadata: e.metadata })), note: resolves || null }, () => {
        const width = terminalWidth();
        const lines = [`query ${name} on ${where}: ${outcome.rows.length}${outcome.truncated ? '+ (truncated at max_rows)' : ''} row${outcome.rows.length === 1 ? '' : 's'} in ${durationMs} ms`];
        if (outcome.rows.length) lines.push(table(outcome.rows, outcome.columns.map((c) => ({ key: c, header: c.toUpperCase(), flex: true })), width));
        lines.push('', 'would send');
        lines.push(summary.length ? table(summary, ['status', { key: 'dedup_key', keep: true }, { key: 'title', flex: true }, 'severity', 'rows'], width) : '(nothing firing)');
        if (resolves) lines.push(resolves);
        return lines.join('\n');
      });
    });
}
