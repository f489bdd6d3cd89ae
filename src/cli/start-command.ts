import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import { startApp } from '../app.ts';
import { configFromEnv, envConfigRequested } from '../config/env-config.ts';
import { ConfigError } from '../config/load.ts';
import { createLogger } from '../logger.ts';
import { findConfigPath, loadOrExit } from './config-path.ts';
import { CliError, EXIT } from './exit.ts';
import { sandboxBanner, sandboxListenHint, startSandbox } from './sandbox.ts';
import { closeWithin } from './shutdown.ts';

/** What a listen failure means for the operator, by its code. */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the address is in use (is tocsin already running?)',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'no network interface of this machine has that address',
  ENOTFOUND: 'the host name does not resolve to an address',
  EAI_AGAIN: 'the host name cannot be resolved right now',
};

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the gateway (sandbox mode with a local incident.io emulator when no config file is found)')
    .option('-c, --config <file>', 'config file (default: $TOCSIN_CONFIG or ./tocsin.yaml)')
    .action(async (opts: { config?: string }) => {
      // A gateway holds no state in memory (the database has it), so its heap is mostly garbage between collections:
      // V8's memory-saving mode keeps the young generation small and collects before growing. 100,000 active alerts
      // then fit in ≈ 135 MB RSS instead of ≈ 220 MB, for ≈ 10–15 % more CPU per alert (npm run bench:memory). The
      // GC reads it as it runs, so setting it here takes effect. `node --no-optimize-for-size` keeps the other choice.
      if (!process.execArgv.some((a) => a.endsWith('optimize-for-size'))) setFlagsFromString('--optimize-for-size');
      const path = findConfigPath(opts.config);
      // No file: the environment configures tocsin when it names sources or an alert source; else the sandbox.
      const fromEnv = !path && envConfigRequested(process.env);
      const sandbox = path || fromEnv ? undefined : await startSandbox();
      const origin = path ?? (fromEnv ? '(environment variables)' : '(sandbox)');
      let config;
      try {
        config = path ? loadOrExit(path) : fromEnv ? configFromEnv(process.env) : sandbox!.config;
      } catch (e) {
        if (e instanceof ConfigError) throw new CliError(`${origin}: ${e.message}`, EXIT.usage);
        throw e;
      }
      const logger = createLogger(config.logLevel);
      // Last resort only: every path that stores or sends handles its own failures. A rejection nobody handled is a
      // bug; say so loudly in the log instead of letting Node end the gateway over it.
      process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection (a bug in tocsin; please report it): still running'));
      const app = await startApp(config, logger).catch((e: NodeJS.ErrnoException) => {
        if (e instanceof ConfigError) throw new CliError(`${origin}: ${e.message}`, EXIT.usage);
        // Only the listen call's own errors (they carry `syscall: 'listen'`, or `getaddrinfo` for the host name): an
        // EACCES from the database file is not a port problem.
        const why = e.syscall === 'listen' || e.syscall === 'getaddrinfo' ? LISTEN_ERRORS[e.code ?? ''] : undefined;
        if (why) {
          const change = sandbox ? sandboxListenHint : fromEnv ? 'set TOCSIN_LISTEN=host:port' : 'change listen in the config';
          throw new CliError(`cannot listen on ${config.listen.host}:${config.listen.port}: ${why}; ${change}`, EXIT.usage);
        }
        throw e;
      });
      logger.info({ url: app.url, config: origin, sources: [...config.sources.keys()], destinations: [...config.destinations.keys()] }, 'tocsin started');
      if (sandbox) process.stderr.write(sandboxBanner(app.url, sandbox));

      // The same path as POST /-/reload; a bad edit is refused and logged, the last good config stays in force.
      process.on('SIGHUP', () => void app.reload('SIGHUP'));
      let stopping = false;
      const stop = async (signal: string) => {
        // A second signal while stopping (Ctrl-C twice): the operator will not wait; in-flight rows are resent later.
        if (stopping) {
          logger.warn({ signal }, 'second signal while stopping: exiting now; deliveries still in flight are sent again after the restart');
          logger.flush();
          process.exit(0);
        }
        stopping = true;
        const boundMs = app.config().shutdownTimeoutMs;
        logger.info({ signal, timeout_ms: boundMs }, 'stopping: no new requests; waiting for requests and sends in flight');
        // app.close(): the server stops listening and answers 503 on open connections, waits for the requests it is
        // answering, then each delivery worker claims nothing more and waits for its sends (DestinationWorker.stop).
        const closed = await closeWithin(() => app.close(), boundMs);
        if (closed.kind === 'timed_out') {
          logger.warn({ ms: closed.ms }, 'still busy when the shutdown timeout passed: exiting; deliveries still in flight are sent again after the restart');
        } else if (closed.kind === 'failed') {
          logger.error({ err: closed.error, ms: closed.ms }, 'stopping failed');
        } else {
          await sandbox?.emulator.close();
          logger.info({ ms: closed.ms }, 'stopped');
        }
        logger.flush();
        process.exit(closed.kind === 'failed' ? EXIT.failure : EXIT.ok);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });
}
