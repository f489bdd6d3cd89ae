import { Option, type Command } from 'commander';
import { CliError, EXIT } from './exit.ts';
import { call } from './http-client.ts';
import { adminToken, wholeNumber, withAdmin, type AdminOptions } from './options.ts';
import { collectPages, listSize, moreNote, output, shortTime } from './output.ts';
import { cellText, cut, table, terminalWidth } from './table.ts';

type Json = Record<string, unknown>;

interface AlertView extends Json {
  id: string;
  state: string;
  title: string;
  routed_to: string[];
  labels?: Record<string, string[]>;
  metadata: unknown;
}

/** On a narrow terminal UPDATED goes first, then SOURCE, SEVERITY and TO; ids are never cut. */
const ALERT_COLUMNS = [
  { key: 'id', keep: true },
  'state',
  { key: 'severity', drop: 2 },
  { key: 'source', drop: 3 },
  { key: 'dedup_key', flex: true },
  { key: 'to', header: 'TO', drop: 1 },
  { key: 'title', flex: true },
  { key: 'updated', header: 'UPDATED', drop: 4 },
];

const alertRow = (a: AlertView) => ({ ...a, to: a.routed_to.length ? a.routed_to : '(unrouted)', updated: shortTime(a.updated_at) });

/** One line per top-level metadata key: scalars as they are, lists and objects summarised. */
function metadataSummary(metadata: unknown, width: number): string[] {
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return [];
  const entries = Object.entries(metadata as Json);
  const shown = entries.slice(0, 12).map(([k, v]) => {
    const value = Array.isArray(v) ? `[${v.length} item${v.length === 1 ? '' : 's'}] ${cellText(v)}` : v && typeof v === 'object' ? `{${Object.keys(v).length} keys} ${JSON.stringify(v)}` : cellText(v);
    return cut(`${k} = ${value}`, width);
  });
  if (entries.length > shown.length) shown.push(`… and ${entries.length - shown.length} more keys (--json shows everything)`);
  return shown;
}

function alertDetail(body: { alert: AlertView; transitions: Json[]; deliveries: Json[] }, width: number | undefined): string {
  const a = body.alert;
  const w = width ?? Infinity;
  const field = (name: string, value: unknown) => cut(`  ${name.padEnd(16)}${cellText(value)}`, w);
  const labels = Object.entries(a.labels ?? {}).map(([k, vs]) => `${k}=${vs.join(',')}`);
  const lines = [
    cut(`alert ${a.id}: ${a.title}`, w),
    field('state', `${a.state} (episode ${String(a.episode)}, ${String(a.event_count)} event${a.event_count === 1 ? '' : 's'})`),
    field('severity', a.severity),
    field('source', a.source),
    field('dedup key', a.dedup_key),
    field('incident.io key', a.incident_io_dedup_key),
    field('routed to', a.routed_to.length ? a.routed_to : 'nothing: no route matched (unrouted)'),
    field('labels', labels.length ? labels.join('  ') : '-'),
    field('source url', a.source_url),
    field('created', shortTime(a.created_at)),
    field('updated', shortTime(a.updated_at)),
  ];
  if (a.acknowledged_at) lines.push(field('acknowledged', shortTime(a.acknowledged_at)));
  if (a.resolved_at) lines.push(field('resolved', shortTime(a.resolved_at)));
  if (a.description) lines.push(field('description', a.description));
  const meta = metadataSummary(a.metadata, Math.max(20, w - 4));
  lines.push('', 'metadata', ...(meta.length ? meta.map((m) => `  ${m}`) : ['  (none)']));
  const transitions = body.transitions.map((t) => ({ ...t, at: shortTime(t.at), change: `${cellText(t.from)} → ${cellText(t.to)}` }));
  lines.push('', 'transitions', table(transitions, ['at', 'episode', 'kind', { key: 'change', header: 'FROM → TO' }, { key: 'actor', flex: true }], width));
  lines.push('', 'deliveries');
  lines.push(
    body.deliveries.length
      ? table(
          body.deliveries.map((d) => ({ ...d, code: d.last_status_code })),
          [{ key: 'id', keep: true }, 'destination', { key: 'episode', drop: 2 }, 'status', 'sends', { key: 'attempts', drop: 1 }, { key: 'code', header: 'HTTP' }, { key: 'request_id', drop: 3 }, { key: 'hint', flex: true }],
          width,
        )
      : a.routed_to.length
        ? '(none)'
        : '(none: the alert matched no route)',
  );
  if (body.deliveries.length) lines.push('', `attempts of one delivery: tocsin delivery <id>`);
  return lines.join('\n');
}

export function registerAlertCommands(program: Command): void {
  withAdmin(program.command('alerts'))
    .description('list alerts, most recently changed first')
    .addOption(new Option('--status <status>', 'only alerts in this state').choices(['firing', 'acknowledged', 'resolved']))
    .option('--source <name>', 'only this source')
    .option('--unrouted', 'only alerts that matched no route (delivered nowhere)')
    .option('--limit <n>', 'how many (the API is paged; this follows the pages)', wholeNumber(1), 50)
    .option('--all', 'every alert, page after page')
    .action(async (o: AdminOptions & { status?: string; source?: string; unrouted?: boolean; limit: number; all?: boolean }, cmd: Command) => {
      if (o.all && cmd.getOptionValueSource('limit') === 'cli') throw new CliError('--all and --limit do not go together: --all is every alert', EXIT.usage);
      const params = { ...(o.status ? { status: o.status } : {}), ...(o.source ? { source: o.source } : {}), ...(o.unrouted ? { unrouted: 'true' } : {}) };
      const { items, more } = await collectPages<AlertView>(o, adminToken(o), '/api/v1/alerts', params, 'alerts', listSize(o));
      output(o.json, { alerts: items, more }, () =>
        items.length ? table(items.map(alertRow), ALERT_COLUMNS, terminalWidth()) : o.unrouted ? 'no unrouted alerts' : 'no alerts',
      );
      if (more && !o.json) process.stderr.write(moreNote('alerts', items.length));
    });

  withAdmin(program.command('alert'))
    .description('one alert: labels, where it was routed, metadata, its transitions and deliveries')
    .argument('<alert-id>')
    .action(async (id: string, o: AdminOptions) => {
      const r = await call<{ alert: AlertView; transitions: Json[]; deliveries: Json[] }>(o, 'GET', `/api/v1/alerts/${encodeURIComponent(id)}`, adminToken(o));
      output(o.json, r.body, () => alertDetail(r.body, terminalWidth()));
    });
}
