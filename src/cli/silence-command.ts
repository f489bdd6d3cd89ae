import { Option, type Command } from 'commander';
import { userInfo } from 'node:os';
import { CliError, EXIT } from './exit.ts';
import { call } from './http-client.ts';
import { adminToken, withAdmin, type AdminOptions } from './options.ts';
import { output, shortTime } from './output.ts';
import { table, terminalWidth } from './table.ts';

interface SilenceView extends Record<string, unknown> {
  id: string;
  state: string;
  matchers: { text: string }[];
  starts_at: string;
  ends_at: string;
  created_by: string;
  comment: string;
}

interface PreviewAlert extends Record<string, unknown> {
  id: string;
  source: string;
  title: string;
  state: string;
}

const COLUMNS = [{ key: 'id', keep: true }, 'state', { key: 'matchers', flex: true }, { key: 'ends', header: 'ENDS' }, { key: 'created_by', header: 'BY', drop: 2 }, { key: 'comment', flex: true, drop: 1 }];
const row = (s: SilenceView) => ({ ...s, matchers: s.matchers.map((m) => m.text).join(' '), ends: shortTime(s.ends_at) });
const alertsTable = (alerts: PreviewAlert[]) => table(alerts, [{ key: 'id', keep: true }, 'state', 'source', { key: 'title', flex: true }], terminalWidth());

/** `tocsin silence add|list|expire|query` (docs/silences.md): Alertmanager's amtool, for tocsin's API. */
export function registerSilenceCommand(program: Command): void {
  const silence = program.command('silence').description('silences: mute alerts matching some labels for a while (docs/silences.md)');

  withAdmin(silence.command('add'))
    .description('create a silence, e.g. tocsin silence add alertname=~"Disk.*" team=storage --duration 2h --comment "disk swap"')
    .argument('<matchers...>', 'Alertmanager matchers: name=value, name!=value, name=~regex, name!~regex')
    .option('--duration <d>', 'how long from the start: 90s, 30m, 2h, 1d (default 1h unless --end)')
    .option('--start <time>', 'when it starts (ISO 8601; default now)')
    .option('--end <time>', 'when it ends (ISO 8601), instead of --duration')
    .requiredOption('--comment <text>', 'why (a ticket, a maintenance)')
    .option('--author <name>', 'who creates it (default: your user name)')
    .action(async (matchers: string[], o: AdminOptions & { duration?: string; start?: string; end?: string; comment: string; author?: string }) => {
      if (o.duration && o.end) throw new CliError('give --duration or --end, not both', EXIT.usage);
      const body = {
        matchers,
        created_by: o.author ?? userInfo().username,
        comment: o.comment,
        ...(o.start ? { starts_at: o.start } : {}),
        ...(o.end ? { ends_at: o.end } : { duration: o.duration ?? '1h' }),
      };
      const r = await call<{ silence: SilenceView }>(o, 'POST', '/api/v1/silences', adminToken(o), body);
      output(o.json, r.body, () => `silence ${r.body.silence.id} is ${r.body.silence.state} until ${shortTime(r.body.silence.ends_at)}: ${row(r.body.silence).matchers}`);
    });

  withAdmin(silence.command('list'))
    .description('list silences (active and pending by default)')
    .addOption(new Option('--state <state>', 'only these').choices(['active', 'pending', 'expired']))
    .action(async (o: AdminOptions & { state?: string }) => {
      const states = o.state ? [o.state] : ['active', 'pending'];
      const silences: SilenceView[] = [];
      for (const state of states) silences.push(...(await call<{ silences: SilenceView[] }>(o, 'GET', `/api/v1/silences?state=${state}`, adminToken(o))).body.silences);
      output(o.json, { silences }, () => (silences.length ? table(silences.map(row), COLUMNS, terminalWidth()) : `no ${states.join(' or ')} silences`));
    });

  withAdmin(silence.command('expire'))
    .description('end silences now (alerts they held that still fire are delivered)')
    .argument('<ids...>')
    .action(async (ids: string[], o: AdminOptions) => {
      const done: SilenceView[] = [];
      for (const id of ids) done.push((await call<{ silence: SilenceView }>(o, 'DELETE', `/api/v1/silences/${encodeURIComponent(id)}`, adminToken(o))).body.silence);
      output(o.json, { silences: done }, () => done.map((s) => `silence ${s.id} is ${s.state}`).join('\n'));
    });

  withAdmin(silence.command('query'))
    .description('show the active alerts some matchers would silence, before creating the silence')
    .argument('<matchers...>')
    .action(async (matchers: string[], o: AdminOptions) => {
      const r = await call<{ alerts: PreviewAlert[]; truncated: boolean }>(o, 'POST', '/api/v1/silences/preview', adminToken(o), { matchers });
      output(o.json, r.body, () =>
        r.body.alerts.length ? `${alertsTable(r.body.alerts)}\n${r.body.alerts.length}${r.body.truncated ? '+' : ''} active alert(s) would be silenced` : 'no active alert matches: the silence would hold nothing now',
      );
    });
}
