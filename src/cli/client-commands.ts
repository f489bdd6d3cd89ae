import type { Command } from 'commander';
import { call, type ClientOptions } from './http-client.ts';
import { CliError, EXIT } from './exit.ts';

const adminToken = (o: { adminToken?: string }) => o.adminToken ?? process.env.TOCSIN_ADMIN_TOKEN;

function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : String(v)).replace(/\s+/g, ' ').slice(0, 60);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

function output(json: boolean, value: unknown, text: () => string) {
  process.stdout.write(`${json ? JSON.stringify(value, null, 2) : text()}\n`);
}

const withGateway = (c: Command) => c.option('--gateway <url>', 'gateway URL (default: $TOCSIN_URL or http://127.0.0.1:8080)').option('--json', 'print JSON');
const withAdmin = (c: Command) => withGateway(c).option('--admin-token <token>', 'admin token (default: $TOCSIN_ADMIN_TOKEN)');

export function registerClientCommands(program: Command): void {
  withGateway(program.command('send'))
    .description('send one alert through a running gateway')
    .requiredOption('--title <title>', 'alert title')
    .option('--source <name>', 'source name', 'app')
    .option('--token <token>', 'source token (default: $TOCSIN_SOURCE_TOKEN)')
    .option('--dedup-key <key>', 'stable identity of the alert (default: the title)')
    .option('--status <status>', 'firing or resolved', 'firing')
    .option('--severity <severity>', 'critical, error, warning or info')
    .option('--description <text>', 'description (Markdown)')
    .option('--source-url <url>', 'link back to the alert')
    .option('-m, --metadata <key=value...>', 'metadata entries')
    .action(async (o: ClientOptions & { json?: boolean; title: string; source: string; dedupKey?: string; status: string; severity?: string; description?: string; sourceUrl?: string; metadata?: string[] }) => {
      const metadata: Record<string, string> = {};
      for (const kv of o.metadata ?? []) {
        const i = kv.indexOf('=');
        if (i < 1) throw new CliError(`--metadata takes key=value, got "${kv}"`, EXIT.usage);
        metadata[kv.slice(0, i)] = kv.slice(i + 1);
      }
      const body = {
        title: o.title,
        status: o.status,
        ...(o.dedupKey ? { dedup_key: o.dedupKey } : {}),
        ...(o.severity ? { severity: o.severity } : {}),
        ...(o.description ? { description: o.description } : {}),
        ...(o.sourceUrl ? { source_url: o.sourceUrl } : {}),
        ...(Object.keys(metadata).length ? { metadata } : {}),
      };
      const r = await call<{ results: { id: string; dedup_key: string; result: string }[] }>(o, 'POST', `/ingest/${encodeURIComponent(o.source)}`, o.token ?? process.env.TOCSIN_SOURCE_TOKEN, body);
      output(!!o.json, r.body, () => r.body.results.map((x) => `${x.result}: ${x.dedup_key} (alert ${x.id ?? '-'})`).join('\n'));
    });

  withAdmin(program.command('alerts'))
    .description('list alerts (newest first)')
    .option('--status <status>', 'firing, acknowledged or resolved')
    .option('--source <name>', 'only this source')
    .option('--limit <n>', 'how many', '50')
    .action(async (o: ClientOptions & { json?: boolean; adminToken?: string; status?: string; source?: string; limit: string }) => {
      const q = new URLSearchParams({ limit: o.limit, ...(o.status ? { status: o.status } : {}), ...(o.source ? { source: o.source } : {}) });
      const r = await call<{ alerts: Record<string, unknown>[] }>(o, 'GET', `/api/v1/alerts?${q}`, adminToken(o));
      output(!!o.json, r.body, () => (r.body.alerts.length ? table(r.body.alerts, ['id', 'state', 'severity', 'source', 'dedup_key', 'title', 'updated_at']) : 'no alerts'));
    });

  withAdmin(program.command('deliveries'))
    .description('list deliveries (newest first); --status dead shows the dead letters')
    .option('--status <status>', 'pending, in_flight, delivered, dead, skipped or superseded')
    .option('--destination <name>', 'only this destination')
    .option('--limit <n>', 'how many', '50')
    .action(async (o: ClientOptions & { json?: boolean; adminToken?: string; status?: string; destination?: string; limit: string }) => {
      const q = new URLSearchParams({ limit: o.limit, ...(o.status ? { status: o.status } : {}), ...(o.destination ? { destination: o.destination } : {}) });
      const r = await call<{ deliveries: Record<string, unknown>[] }>(o, 'GET', `/api/v1/deliveries?${q}`, adminToken(o));
      output(!!o.json, r.body, () =>
        r.body.deliveries.length ? table(r.body.deliveries, ['id', 'destination', 'status', 'sends', 'attempts', 'last_status_code', 'request_id', 'hint']) : 'no deliveries',
      );
    });

  withAdmin(program.command('retry'))
    .description('send a dead delivery again (after fixing what the hint says)')
    .argument('<delivery-id>')
    .action(async (id: string, o: ClientOptions & { json?: boolean; adminToken?: string }) => {
      const r = await call<{ delivery: Record<string, unknown> }>(o, 'POST', `/api/v1/deliveries/${encodeURIComponent(id)}/retry`, adminToken(o));
      output(!!o.json, r.body, () => `delivery ${id} queued again`);
    });

  for (const action of ['ack', 'resolve'] as const) {
    withAdmin(program.command(action))
      .description(action === 'ack' ? 'acknowledge an alert (tocsin-side)' : 'resolve an alert (incident.io hears of it)')
      .argument('<alert-id>')
      .action(async (id: string, o: ClientOptions & { json?: boolean; adminToken?: string }) => {
        const path = `/api/v1/alerts/${encodeURIComponent(id)}/${action === 'ack' ? 'acknowledge' : 'resolve'}`;
        const r = await call<{ alert: { state: string } }>(o, 'POST', path, adminToken(o));
        output(!!o.json, r.body, () => `alert ${id} is ${r.body.alert.state}`);
      });
  }
}
