import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerClientCommands } from './client-commands.ts';
import { registerConfigCommands } from './config-commands.ts';
import { registerDbtCommand } from './dbt-command.ts';
import { registerEmulatorCommand } from './emulator-command.ts';
import { registerHeartbeatsCommand } from './heartbeats-command.ts';
import { CliError, EXIT } from './exit.ts';
import { registerQueriesCommand } from './queries-command.ts';
import { registerSilenceCommand } from './silence-command.ts';
import { registerRoutesCommand } from './routes-command.ts';
import { registerRulesCommand } from './rules-command.ts';
import { registerStartCommand } from './start-command.ts';
import { registerTestConnectionCommand } from './test-connection.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('tocsin')
  .description('alert gateway for incident.io: durable, deduplicated, resolving, rate-limited')
  .version(version, '-V, --version', 'print the version')
  .exitOverride();

registerStartCommand(program);
registerConfigCommands(program);
registerTestConnectionCommand(program);
registerRoutesCommand(program);
registerRulesCommand(program);
registerClientCommands(program);
registerEmulatorCommand(program);
registerHeartbeatsCommand(program);
registerDbtCommand(program);
registerQueriesCommand(program);
registerSilenceCommand(program);

/**
 * A usage mistake is one line on stderr naming the command whose --help explains it, never a page of help:
 * commander's own messages ("error: unknown option '--x'\n(Did you mean --y?)") are folded into that line.
 */
function oneLineErrors(cmd: Command, path: string): void {
  cmd.configureOutput({
    outputError: (str, write) => write(`tocsin: ${str.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim()} (see: ${path} --help)\n`),
  });
  for (const sub of cmd.commands) oneLineErrors(sub, `${path} ${sub.name()}`);
}
oneLineErrors(program, 'tocsin');

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? EXIT.ok : EXIT.usage);
  if (e instanceof CliError) {
    process.stderr.write(`tocsin: ${e.message}\n`);
    process.exit(e.code);
  }
  process.stderr.write(`tocsin: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(EXIT.failure);
}
