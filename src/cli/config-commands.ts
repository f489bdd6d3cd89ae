import type { Command } from 'commander';
import { loadCommandConfig } from './config-path.ts';

export function registerConfigCommands(program: Command): void {
  program
    .command('check-config')
    .description('validate the config file and print what it sets up')
    .option('-c, --config <file>', 'config file (default: $TOCSIN_CONFIG or ./tocsin.yaml)')
    .option('--json', 'print JSON')
    .action((o: { config?: string; json?: boolean }) => {
      const { label: path, config: c } = loadCommandConfig(o.config);
      const warnings = c.warnings.map((w) => `${w.path || '(top level)'}: ${w.message}`);
      if (o.json) {
        const summary = {
          config: path,
          ok: true,
          listen: `${c.listen.host}:${c.listen.port}`,
          storage: 'sqlite' in c.storage ? { sqlite: c.storage.sqlite } : { postgres: true },
          admin_api: !!c.adminToken,
          sources: [...c.sources.values()].map((s) => ({ name: s.name, type: s.type })),
          destinations: [...c.destinations.values()].map((d) => ({ name: d.name, type: d.type })),
          routes: c.routes.length,
          // Never the secret: where links point and how long they work.
          ack_links: c.ack ? { public_url: c.ack.publicUrl, link_ttl_ms: c.ack.linkTtlMs } : null,
          warnings,
        };
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      const lines = [
        `${path}: ok`,
        `  listen       ${c.listen.host}:${c.listen.port}`,
        `  storage      ${'sqlite' in c.storage ? `sqlite ${c.storage.sqlite}` : 'postgres'}`,
        `  admin API    ${c.adminToken ? 'enabled' : 'disabled (no admin_token)'}`,
        `  sources      ${[...c.sources.values()].map((s) => `${s.name} (${s.type})`).join(', ') || 'none'}`,
        `  destinations ${[...c.destinations.values()].map((d) => `${d.name} (${d.type})`).join(', ') || 'none'}`,
        `  routes       ${c.routes.length} (tocsin routes show)`,
        `  ack links    ${c.ack ? `${c.ack.publicUrl}/ack/…, valid ${Math.round(c.ack.linkTtlMs / 3_600_000)}h` : 'off (no ack: section)'}`,
        ...warnings.map((w) => `warning: ${w}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
