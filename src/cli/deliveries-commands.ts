import { Option, type Command } from 'commander';
import { CliError, EXIT } from './exit.ts';
import { call } from './http-client.ts';
import { adminToken, withAdmin, wholeNumber, type AdminOptions } from './options.ts';
import { collectPages, listSize, moreNote, output, shortTime } from './output.ts';
import { cellText, cut, table, terminalWidth } from './table.ts';

type Json = Record<string, unknown>;

const DELIVERY_COLUMNS = [
  { key: 'id', keep: true },
  'destination',
  { key: 'alert_id', header: 'ALERT', keep: true },
  'status',
  { key: 'sends', drop: 2 },
  { key: 'attempts', drop: 1 },
  { key: 'last_status_code', header: 'HTTP' },
  { key: 'request_id', drop: 3 },
  { key: 'hint', flex: true },
];

function deliveryDetail(body: { delivery: Json; attempts: Json[] }, width: number | undefined): string {
  const d = body.delivery;
  const w = width ?? Infinity;
  const field = (name: string, value: unknown) => cut(`  ${name.padEnd(16)}${cellText(value)}`, w);
  const lines = [
    `delivery ${String(d.id)} to ${String(d.destination)}: ${String(d.status)}`,
    field('alert', `${String(d.alert_id)} (episode ${String(d.episode)}; tocsin alert ${String(d.alert_id)})`),
    field('sends', d.sends),
    field('attempts', d.attempts),
    field('next attempt', shortTime(d.next_attempt_at)),
    field('last HTTP', d.last_status_code),
    field('request_id', d.request_id),
    field('last error', d.last_error),
    field('hint', d.hint),
    field('response', d.response_excerpt),
    field('latency ms', d.latency_ms),
    field('created', shortTime(d.created_at)),
    field('delivered', shortTime(d.delivered_at)),
    '',
    'attempts',
    body.attempts.length
      ? table(
          body.attempts.map((a) => ({ ...a, at: shortTime(a.at) })),
          ['at', 'outcome', { key: 'status_code', header: 'HTTP' }, { key: 'latency_ms', header: 'MS', drop: 1 }, { key: 'request_id', drop: 2 }, { key: 'error', flex: true }],
          width,
        )
      : '(none yet)',
  ];
  if (d.status === 'dead' || d.status === 'orphaned') lines.push('', `send it again once fixed: tocsin retry ${String(d.id)}`);
  return lines.join('\n');
}

interface BulkRetry {
  status: string;
  retried: { id: number; destination: string; alert_id: string }[];
  folded: number[];
  refused: { id: number; message: string }[];
}

const plural = (n: number) => (n === 1 ? 'delivery' : 'deliveries');

function bulkSummary(r: BulkRetry, destination: string | undefined): string {
  const where = destination ? ` for ${destination}` : '';
  if (!r.retried.length && !r.folded.length && !r.refused.length) return `no ${r.status} deliveries${where}: nothing to retry`;
  const lines = [
    r.retried.length
      ? `${r.retried.length} ${r.status} ${plural(r.retried.length)}${where} queued again: ${r.retried.map((x) => x.id).join(', ')}`
      : `no ${r.status} deliveries${where} queued again`,
  ];
  if (r.folded.length) lines.push(`${r.folded.length} folded into a retry of the same alert (one send brings incident.io up to date): ${r.folded.join(', ')}`);
  for (const x of r.refused) lines.push(`not retried: ${x.message}`);
  return lines.join('\n');
}

export function registerDeliveryCommands(program: Command): void {
  withAdmin(program.command('deliveries'))
    .description('list deliveries, newest first; --status dead shows the dead letters')
    .addOption(new Option('--status <status>', 'only deliveries in this state').choices(['pending', 'in_flight', 'delivered', 'dead', 'skipped', 'superseded', 'orphaned', 'muted', 'suppressed']))
    .option('--destination <name>', 'only this destination')
    .option('--alert <id>', 'only this alert')
    .option('--limit <n>', 'how many (the API is paged; this follows the pages)', wholeNumber(1), 50)
    .option('--all', 'every delivery, page after page')
    .action(async (o: AdminOptions & { status?: string; destination?: string; alert?: string; limit: number; all?: boolean }, cmd: Command) => {
      if (o.all && cmd.getOptionValueSource('limit') === 'cli') throw new CliError('--all and --limit do not go together: --all is every delivery', EXIT.usage);
      const params = { ...(o.status ? { status: o.status } : {}), ...(o.destination ? { destination: o.destination } : {}), ...(o.alert ? { alert_id: o.alert } : {}) };
      const { items, more } = await collectPages<Json>(o, adminToken(o), '/api/v1/deliveries', params, 'deliveries', listSize(o));
      output(o.json, { deliveries: items, more }, () => (items.length ? table(items, DELIVERY_COLUMNS, terminalWidth()) : 'no deliveries'));
      if (more && !o.json) process.stderr.write(moreNote('deliveries', items.length));
    });

  withAdmin(program.command('delivery'))
    .description('one delivery with every attempt (HTTP status, latency, request_id, error)')
    .argument('<delivery-id>')
    .action(async (id: string, o: AdminOptions) => {
      const r = await call<{ delivery: Json; attempts: Json[] }>(o, 'GET', `/api/v1/deliveries/${encodeURIComponent(id)}`, adminToken(o));
      output(o.json, r.body, () => deliveryDetail(r.body, terminalWidth()));
    });

  withAdmin(program.command('retry'))
    .description('send dead deliveries again (after fixing what the hint says): one by id, or every one with --dead')
    .argument('[delivery-id]')
    .option('--dead', 'every dead delivery')
    .option('--orphaned', 'every orphaned delivery (queued for a destination that was removed, once it is back)')
    .option('--destination <name>', 'with --dead or --orphaned: only this destination')
    .action(async (id: string | undefined, o: AdminOptions & { dead?: boolean; orphaned?: boolean; destination?: string }) => {
      const bulk = o.dead || o.orphaned;
      if (id !== undefined && bulk) throw new CliError('give a delivery id or --dead/--orphaned, not both', EXIT.usage);
      if (o.dead && o.orphaned) throw new CliError('--dead and --orphaned are two runs: give one of them', EXIT.usage);
      if (o.destination && !bulk) throw new CliError('--destination goes with --dead or --orphaned', EXIT.usage);
      if (id === undefined && !bulk) throw new CliError('say what to retry: a delivery id, --dead or --orphaned', EXIT.usage);
      if (id !== undefined) {
        const r = await call<{ delivery: Json }>(o, 'POST', `/api/v1/deliveries/${encodeURIComponent(id)}/retry`, adminToken(o));
        output(o.json, r.body, () => `delivery ${id} queued again`);
        return;
      }
      const body = { status: o.dead ? 'dead' : 'orphaned', ...(o.destination ? { destination: o.destination } : {}) };
      const r = await call<BulkRetry>(o, 'POST', '/api/v1/deliveries/retry', adminToken(o), body);
      output(o.json, r.body, () => bulkSummary(r.body, o.destination));
      if (r.body.refused.length) throw new CliError(`${r.body.refused.length} ${plural(r.body.refused.length)} could not be retried`);
    });
}
