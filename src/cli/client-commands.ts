import type { Command } from 'commander';
import { registerAlertCommands } from './alerts-commands.ts';
import { registerDeliveryCommands } from './deliveries-commands.ts';
import { CliError, EXIT } from './exit.ts';
import { call } from './http-client.ts';
import { adminToken, withAdmin, withGateway, type AdminOptions, type GatewayOptions } from './options.ts';
import { output } from './output.ts';

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
    .action(async (o: GatewayOptions & { token?: string; title: string; source: string; dedupKey?: string; status: string; severity?: string; description?: string; sourceUrl?: string; metadata?: string[] }) => {
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
      output(o.json, r.body, () => r.body.results.map((x) => `${x.result}: ${x.dedup_key} (alert ${x.id ?? '-'})`).join('\n'));
    });

  registerAlertCommands(program);
  registerDeliveryCommands(program);

  withAdmin(program.command('resolve'))
    .description('resolve an alert (incident.io hears of it)')
    .argument('<alert-id>')
    .action(async (id: string, o: AdminOptions) => {
      const r = await call<{ alert: { state: string } }>(o, 'POST', `/api/v1/alerts/${encodeURIComponent(id)}/resolve`, adminToken(o));
      output(o.json, r.body, () => `alert ${id} is ${r.body.alert.state}`);
    });

  // Acknowledging stops the alert's escalation and updates its chat messages; unack takes it back (docs/acknowledge.md).
  for (const [command, action, description] of [
    ['ack', 'acknowledge', 'acknowledge an alert: stops its escalation, updates its chat messages (incident.io is not told)'],
    ['unack', 'unacknowledge', 'take an acknowledgement back: firing again, its cancelled escalation steps re-armed'],
  ] as const) {
    withAdmin(program.command(command))
      .description(description)
      .argument('<alert-id>')
      .option('--by <name>', 'who, for the record and the chat messages')
      .action(async (id: string, o: AdminOptions & { by?: string }) => {
        const r = await call<{ alert: { state: string }; changed: boolean }>(o, 'POST', `/api/v1/alerts/${encodeURIComponent(id)}/${action}`, adminToken(o), o.by ? { by: o.by } : undefined);
        output(o.json, r.body, () => `alert ${id} is ${r.body.alert.state}${r.body.changed ? '' : ' (unchanged)'}`);
      });
  }
}
