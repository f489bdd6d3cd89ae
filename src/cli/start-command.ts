import type { Command } from 'commander';
import { startApp } from '../app.ts';
import { ConfigError, loadConfigFile } from '../config/load.ts';
import { createLogger } from '../logger.ts';
import { findConfigPath, loadOrExit } from './config-path.ts';
import { CliError, EXIT } from './exit.ts';
import { sandboxBanner, startSandbox } from './sandbox.ts';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the gateway (sandbox mode with a local incident.io emulator when no config file is found)')
    .option('-c, --config <file>', 'config file (default: $TOCSIN_CONFIG or ./tocsin.yaml)')
    .action(async (opts: { config?: string }) => {
      const path = findConfigPath(opts.config);
      const sandbox = path ? undefined : await startSandbox();
      const config = path ? loadOrExit(path) : sandbox!.config;
      const logger = createLogger(config.logLevel);
      const app = await startApp(config, logger).catch((e: NodeJS.ErrnoException) => {
        if (e instanceof ConfigError) throw new CliError(`${path ?? '(sandbox)'}: ${e.message}`, EXIT.usage);
        if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
          throw new CliError(`cannot listen on ${config.listen.host}:${config.listen.port}: ${e.code === 'EADDRINUSE' ? 'the address is in use (is tocsin already running?)' : 'permission denied'}; change listen in the config`, EXIT.failure);
        }
        throw e;
      });
      logger.info({ url: app.url, config: path ?? '(sandbox)', sources: [...config.sources.keys()], destinations: [...config.destinations.keys()] }, 'tocsin started');
      if (sandbox) process.stderr.write(sandboxBanner(app.url, sandbox));

      if (path) {
        process.on('SIGHUP', () => {
          try {
            void app.reload(loadConfigFile(path)).catch((e: unknown) => logger.error({ err: e }, 'reload failed; keeping the previous configuration'));
          } catch (e) {
            // A bad edit must not take the gateway down: keep running on the last good config and say what is wrong.
            logger.error({ problems: e instanceof ConfigError ? e.problems : String(e) }, 'reload refused: invalid configuration; keeping the previous one');
          }
        });
      }
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        await app.close();
        await sandbox?.emulator.close();
        logger.flush();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });
}
