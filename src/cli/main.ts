import { Command, CommanderError } from 'commander';
import { registerClientCommands } from './client-commands.ts';
import { registerConfigCommands } from './config-commands.ts';
import { registerDbtCommand } from './dbt-command.ts';
import { registerEmulatorCommand } from './emulator-command.ts';
import { CliError, EXIT } from './exit.ts';
import { registerStartCommand } from './start-command.ts';

const program = new Command('tocsin')
  .description('alert gateway for incident.io: durable, deduplicated, resolving, rate-limited')
  .exitOverride()
  .showHelpAfterError();

registerStartCommand(program);
registerConfigCommands(program);
registerClientCommands(program);
registerEmulatorCommand(program);
registerDbtCommand(program);

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
