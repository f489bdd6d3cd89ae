import type { Command } from 'commander';
import { destinationTypes, DestinationConfigError } from '../destinations/registry.ts';
import type { DeliveryPayload, SendOutcome } from '../destinations/types.ts';
import { createLogger } from '../logger.ts';
import { findConfigPath, loadOrExit } from './config-path.ts';
import { CliError, EXIT } from './exit.ts';

function requirePath(flag: string | undefined): string {
  const path = findConfigPath(flag);
  if (!path) throw new CliError('no config file: pass --config, set TOCSIN_CONFIG, or create ./tocsin.yaml', EXIT.usage);
  return path;
}

function describe(o: SendOutcome): string {
  const http = o.statusCode ? `HTTP ${o.statusCode}` : 'no response';
  const rid = o.requestId ? `, request_id ${o.requestId}` : '';
  if (o.kind === 'delivered') return `ok (${http}${rid})${o.detail ? ` — ${o.detail}` : ''}`;
  if (o.kind === 'retry') return `temporary failure (${http}${rid}): ${o.error}${o.retryAfterMs ? `; retry after ${Math.ceil(o.retryAfterMs / 1000)} s` : ''}`;
  return `FAILED (${http}${rid}): ${o.error}\n  hint: ${o.hint}`;
}

export function registerConfigCommands(program: Command): void {
  program
    .command('check-config')
    .description('validate the config file and print what it sets up')
    .option('-c, --config <file>', 'config file (default: $TOCSIN_CONFIG or ./tocsin.yaml)')
    .action((o: { config?: string }) => {
      const path = requirePath(o.config);
      const c = loadOrExit(path);
      const lines = [
        `${path}: ok`,
        `  listen       ${c.listen.host}:${c.listen.port}`,
        `  storage      ${'sqlite' in c.storage ? `sqlite ${c.storage.sqlite}` : 'postgres'}`,
        `  admin API    ${c.adminToken ? 'enabled' : 'disabled (no admin_token)'}`,
        `  sources      ${[...c.sources.values()].map((s) => `${s.name} (${s.type})`).join(', ') || 'none'}`,
        `  destinations ${[...c.destinations.values()].map((d) => `${d.name} (${d.type})`).join(', ') || 'none'}`,
        `  routes       ${c.routes.length}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  program
    .command('test-connection')
    .description('send a firing then a resolved test alert to one destination, and report what it answered')
    .argument('<destination>', 'a destination name from the config')
    .option('-c, --config <file>', 'config file (default: $TOCSIN_CONFIG or ./tocsin.yaml)')
    .action(async (name: string, o: { config?: string }) => {
      const config = loadOrExit(requirePath(o.config));
      const d = config.destinations.get(name);
      if (!d) throw new CliError(`unknown destination "${name}" (configured: ${[...config.destinations.keys()].join(', ') || 'none'})`, EXIT.usage);
      let destination;
      try {
        destination = await destinationTypes[d.type]!.create(d.name, d.config, { logger: createLogger('silent') });
      } catch (e) {
        if (e instanceof DestinationConfigError) throw new CliError(`destinations.${name}${e.path ? `.${e.path}` : ''}: ${e.message}`, EXIT.usage);
        throw e;
      }
      const key = `tocsin-connection-test-${name}`;
      const base: DeliveryPayload = {
        alertId: key,
        source: 'tocsin',
        dedupKey: key,
        externalKey: key,
        episode: 1,
        status: 'firing',
        title: `tocsin connection test (${name})`,
        description: 'Sent by `tocsin test-connection`; resolved straight away. Safe to ignore.',
        metadata: { tocsin_test: true },
        severity: 'info',
        at: Date.now(),
        test: true,
      };
      let failed = false;
      let state;
      for (const status of ['firing', 'resolved'] as const) {
        const outcome = await destination.send({ ...base, status }, state);
        if (outcome.kind === 'delivered') state = outcome.state;
        process.stdout.write(`${status.padEnd(8)} ${describe(outcome)}\n`);
        if (outcome.kind !== 'delivered') {
          failed = true;
          break;
        }
      }
      await destination.close?.();
      if (failed) throw new CliError(`destination "${name}" did not accept the test alert`);
      const reference = (state as { reference?: unknown } | undefined)?.reference;
      process.stdout.write(`destination "${name}" works (${typeof reference === 'string' ? `incident ${reference}` : `deduplication key ${key}`})\n`);
    });
}
