/**
 * `tocsin routes show` and `tocsin routes test`: read the config file and answer locally, with the same pure routing
 * functions the gateway runs (like amtool's `config routes`), so a route can be checked before any alert fires.
 */
import type { Command } from 'commander';
import { loadCommandConfig } from './config-path.ts';
import { CliError, EXIT } from './exit.ts';
import { output } from './output.ts';
import { formatLabels, formatMatcher, routeTree, testLabels, testRoutes, type RouteInfo } from './routes-explain.ts';
import { cut, table, terminalWidth } from './table.ts';

const configOption = (c: Command) => c.option('-c, --config <file>', 'config file (default: $TOCSIN_CONFIG or ./tocsin.yaml)').option('--json', 'print JSON');

const matchText = (r: RouteInfo) => (r.catchAll ? '(matches every alert)' : r.match.map(formatMatcher).join(', '));

const noDefault = 'no default route: an alert that matches none of these is stored and delivered nowhere (see tocsin alerts --unrouted)';

export function registerRoutesCommand(program: Command): void {
  const routes = program.command('routes').description('show the routes of a config file, or test where an alert would go');

  configOption(routes.command('show'))
    .description('print the routes in the order the gateway tries them, and the default route')
    .action((o: { config?: string; json?: boolean }) => {
      const { label: path, config } = loadCommandConfig(o.config);
      const tree = routeTree(config.routes);
      const destinations = [...config.destinations.values()].map((d) => ({ name: d.name, type: d.type }));
      output(o.json, { config: path, routes: tree.routes, default_route: tree.defaultRoute, destinations }, () => {
        const rows = tree.routes.map((r) => ({
          '#': r.index,
          match: matchText(r),
          to: [r.to.join(', '), ...(r.escalation ?? []).map((s) => `+${humanMs(s.after_ms)} unacked: ${s.to.join(', ')}`)].join('; '),
          then: r.unreachable ? `never reached: route ${tree.defaultRoute} takes every alert` : r.continue ? 'continue' : r.catchAll ? 'stop (default route)' : 'stop',
        }));
        const width = terminalWidth();
        return [
          `${path}: ${tree.routes.length} route${tree.routes.length === 1 ? '' : 's'}, tried in order; the first match wins unless it says continue`,
          tree.routes.length ? table(rows, [{ key: '#', keep: true }, { key: 'match', header: 'MATCH', flex: true }, { key: 'to', header: 'TO', flex: true }, { key: 'then', header: 'THEN', flex: true }], width) : '',
          tree.defaultRoute === null ? noDefault : '',
          cut(`destinations: ${destinations.map((d) => `${d.name} (${d.type})`).join(', ') || 'none'}`, width ?? Infinity),
        ]
          .filter(Boolean)
          .join('\n');
      });
    });

  configOption(routes.command('test'))
    .description('print the routes and destinations an alert with these labels would get, e.g. team=storage severity=critical')
    .argument('<label=value...>', 'the alert\'s labels (Alertmanager labels, metadata keys, dotted paths for nested keys)')
    .option('--source <name>', 'the source the alert comes from (its source label)')
    .action((args: string[], o: { config?: string; json?: boolean; source?: string }) => {
      const { config } = loadCommandConfig(o.config);
      const input = testLabels(args, o.source);
      if (!input.ok) throw new CliError(input.message, EXIT.usage);
      const source = input.labels.source?.[0];
      if (source !== undefined && !config.sources.has(source)) input.warnings.push(`source "${source}" is not configured (configured: ${[...config.sources.keys()].join(', ') || 'none'})`);
      const result = testRoutes(config.routes, input.labels);
      const tree = routeTree(config.routes);
      for (const w of input.warnings) process.stderr.write(`warning: ${w}\n`);
      output(o.json, { labels: input.labels, matched_routes: result.matched, destinations: result.destinations, routed: result.destinations.length > 0 }, () => {
        const lines = [`labels        ${formatLabels(input.labels)}`];
        for (const i of result.matched) {
          const r = tree.routes[i - 1]!;
          const steps = (r.escalation ?? []).map((s) => `, then after ${humanMs(s.after_ms)} unless acknowledged → ${s.to.join(', ')}`).join('');
          lines.push(`route ${String(i).padEnd(7)} ${matchText(r)} → ${r.to.join(', ')}${steps}${r.continue ? ' (continue)' : ''}`);
        }
        if (result.destinations.length) lines.push(`destinations  ${result.destinations.join(', ')}`);
        else lines.push(`no route matches: this alert would be stored and delivered nowhere (unrouted)${tree.defaultRoute === null ? '; the config has no default route' : ''}`);
        return lines.join('\n');
      });
      if (!result.destinations.length) process.exitCode = EXIT.failure;
    });
}

/** 180000 → `3m`, 90000 → `90s`: an escalation step's delay as the config would write it. */
function humanMs(ms: number): string {
  for (const [unit, n] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % n === 0) return `${ms / n}${unit}`;
  return `${ms}ms`;
}
