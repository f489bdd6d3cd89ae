/**
 * `tocsin test-connection <destination>`: proves a destination's URL, credentials and reachability before a real
 * alert depends on them. On an alert source the default is a lone `resolved` event with the stable test key: it
 * exercises the same endpoint and token as a real alert, yet raises nothing that a route in incident.io could page
 * on. `--fire` does the full firing → resolved round trip.
 */
import type { Command } from 'commander';
import { destinationTypes, DestinationConfigError } from '../destinations/registry.ts';
import type { DeliveryPayload, SendOutcome } from '../destinations/types.ts';
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

const outcomeJson = (o: SendOutcome) => ({
  outcome: o.kind,
  status_code: o.statusCode ?? null,
  request_id: o.requestId ?? null,
  ...(o.kind === 'delivered' ? { detail: o.detail ?? null } : { error: o.error }),
  ...(o.kind === 'failed' ? { hint: o.hint } : {}),
  ...(o.kind === 'retry' && o.retryAfterMs ? { retry_after_ms: o.retryAfterMs } : {}),
});

/** Only an alert source can prove itself with a resolve alone; an incident needs declaring before it can close. */
const RESOLVE_ONLY_TYPES = new Set(['incident_io_alert_source']);

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
      const resolveOnly = RESOLVE_ONLY_TYPES.has(d.type) && !o.fire;
      const steps: { status: 'firing' | 'resolved'; outcome: SendOutcome }[] = [];
      let state;
      try {
        for (const status of resolveOnly ? (['resolved'] as const) : (['firing', 'resolved'] as const)) {
          const outcome = await destination.send({ ...base, status }, state);
          steps.push({ status, outcome });
          if (outcome.kind === 'delivered') state = outcome.state;
          if (!o.json) process.stdout.write(`${status.padEnd(8)} ${describe(outcome)}\n`);
          if (outcome.kind !== 'delivered') break;
        }
      } finally {
        await destination.close?.();
      }
      const ok = steps.every((s) => s.outcome.kind === 'delivered');
      const reference = (state as { reference?: unknown } | undefined)?.reference;
      const summary = !ok
        ? `destination "${name}" did not accept the test ${resolveOnly ? 'event' : 'alert'}`
        : typeof reference === 'string'
          ? `destination "${name}" works (incident ${reference})`
          : resolveOnly
            ? `destination "${name}" works: URL, token and reachability checked with a resolved event for key ${key}; no alert was raised (--fire for a firing → resolved round trip)`
            : `destination "${name}" works (deduplication key ${key})`;
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ destination: name, type: d.type, ok, key, steps: steps.map((s) => ({ status: s.status, ...outcomeJson(s.outcome) })), summary }, null, 2)}\n`);
      } else if (ok) process.stdout.write(`${summary}\n`);
      if (!ok) throw new CliError(summary);
    });
}
