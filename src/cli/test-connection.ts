/**
 * `tocsin test-connection <destination>`: proves a destination's URL, credentials and reachability before a real
 * alert depends on them. On an alert source the default is a lone `resolved` event with the stable test key: it
 * exercises the same endpoint and token as a real alert, yet raises nothing that a route in incident.io could page
 * on. `--fire` does the full firing → resolved round trip.
 */
import type { Command } from 'commander';
import { outcomeJson, testConnection, type ConnectionTest } from '../destinations/connection-test.ts';
import { DestinationConfigError } from '../destinations/registry.ts';
import type { SendOutcome } from '../destinations/types.ts';
import { createLogger } from '../logger.ts';
import { loadCommandConfig } from './config-path.ts';
import { CliError, EXIT } from './exit.ts';

function describe(o: SendOutcome): string {
  const http = o.statusCode ? `HTTP ${o.statusCode}` : 'no response';
  const rid = o.requestId ? `, request_id ${o.requestId}` : '';
  if (o.kind === 'delivered') return `ok (${http}${rid})${o.detail ? ` — ${o.detail}` : ''}`;
  if (o.kind === 'retry') return `temporary failure (${http}${rid}): ${o.error}${o.retryAfterMs ? `; retry after ${Math.ceil(o.retryAfterMs / 1000)} s` : ''}`;
  return `FAILED (${http}${rid}): ${o.error}\n  hint: ${o.hint}`;
}

export function registerTestConnectionCommand(program: Command): void {
  program
    .command('test-connection')
    .description('check a destination: on an alert source, send a resolved test event (no alert is raised); --fire for firing then resolved')
    .argument('<destination>', 'a destination name from the config')
    .option('-c, --config <file>', 'config file (default: $TOCSIN_CONFIG or ./tocsin.yaml)')
    .option('--fire', 'alert sources: fire a test alert, then resolve it (a route in incident.io may page on it)')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { config?: string; fire?: boolean; json?: boolean }) => {
      const { config } = loadCommandConfig(o.config);
      const d = config.destinations.get(name);
      if (!d) throw new CliError(`unknown destination "${name}" (configured: ${[...config.destinations.keys()].join(', ') || 'none'})`, EXIT.usage);
      let r: ConnectionTest;
      try {
        r = await testConnection(d, {
          fire: !!o.fire,
          logger: createLogger('silent'),
          onStep: (status, outcome) => {
            if (!o.json) process.stdout.write(`${status.padEnd(8)} ${describe(outcome)}\n`);
          },
        });
      } catch (e) {
        if (e instanceof DestinationConfigError) throw new CliError(`destinations.${name}${e.path ? `.${e.path}` : ''}: ${e.message}`, EXIT.usage);
        throw e;
      }
      const { ok, key, steps, summary } = r;
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ destination: name, type: d.type, ok, key, steps: steps.map((s) => ({ status: s.status, ...outcomeJson(s.outcome) })), summary }, null, 2)}\n`);
      } else if (ok) process.stdout.write(`${summary}${r.resolveOnly ? ' (--fire for a firing → resolved round trip)' : ''}\n`);
      if (!ok) throw new CliError(summary);
    });
}
