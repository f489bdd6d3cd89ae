/**
 * `tocsin emulator`: run the incident.io emulator in the foreground until SIGINT/SIGTERM.
 * With no options it creates one alert source and one API key with random secrets and prints them,
 * since the user needs them to send anything; secrets the user supplied are never printed back.
 */
import type { Command } from 'commander';
import { EmulatorConfigError, loadEmulatorConfig } from '../emulator/config.ts';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../emulator/index.ts';
import { CliError, EXIT } from './exit.ts';

export interface EmulatorCliOptions {
  port?: string;
  host?: string;
  alertSource: string[];
  apiKey: string[];
  alertEventsPerMinute?: string;
  apiRequestsPerMinute?: string;
  config?: string;
  log?: boolean;
}

const DEFAULT_PORT = 8090;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function positiveNumber(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) throw new CliError(`${flag} must be a positive number, got "${raw}"`, EXIT.usage);
  return value;
}

/** `--alert-source ID=TOKEN` */
export function parseAlertSourceFlag(raw: string): { id: string; token: string } {
  const eq = raw.indexOf('=');
  // The value is not echoed: it is most likely a secret token given without its ID.
  if (eq <= 0 || eq === raw.length - 1) throw new CliError("--alert-source takes ID=TOKEN: the alert source's ID, then = and its secret token", EXIT.usage);
  return { id: raw.slice(0, eq), token: raw.slice(eq + 1) };
}

/** `--api-key KEY[:scope,scope]`; `KEY:` gives a key with no scopes (to exercise 403s). */
export function parseApiKeyFlag(raw: string): { key: string; scopes?: string[] } {
  const colon = raw.indexOf(':');
  if (colon === 0 || raw === '') throw new CliError('--api-key takes KEY[:scope,scope]', EXIT.usage);
  if (colon === -1) return { key: raw };
  const scopes = raw
    .slice(colon + 1)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { key: raw.slice(0, colon), scopes };
}

/** Flags win over the config file; sources and keys from both are combined. */
export function emulatorOptionsFrom(cli: EmulatorCliOptions, env: NodeJS.ProcessEnv = process.env): EmulatorOptions {
  const file = cli.config ? loadEmulatorConfig(cli.config, env) : {};
  const port = cli.port !== undefined ? (cli.port.trim() === '' ? NaN : Number(cli.port)) : (file.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be a whole number from 0 to 65535, got "${cli.port ?? String(file.port)}"`, EXIT.usage);
  const alertSources = [...(file.alertSources ?? []), ...cli.alertSource.map(parseAlertSourceFlag)];
  const apiKeys = [...(file.apiKeys ?? []), ...cli.apiKey.map(parseApiKeyFlag)];
  return {
    host: cli.host ?? file.host ?? '127.0.0.1',
    port,
    alertSources: alertSources.length > 0 ? alertSources : undefined,
    apiKeys: apiKeys.length > 0 ? apiKeys : undefined,
    alertEventsPerMinute:
      cli.alertEventsPerMinute !== undefined ? positiveNumber('--alert-events-per-minute', cli.alertEventsPerMinute) : file.alertEventsPerMinute,
    apiRequestsPerMinute:
      cli.apiRequestsPerMinute !== undefined ? positiveNumber('--api-requests-per-minute', cli.apiRequestsPerMinute) : file.apiRequestsPerMinute,
    logger: cli.log ?? file.logger ?? false,
  };
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** What to print once running. Secrets appear only when the emulator generated them. */
export function startupBanner(emulator: RunningEmulator, options: EmulatorOptions): string {
  const generatedSources = !options.alertSources?.length;
  const generatedKeys = !options.apiKeys?.length;
  const lines = [`incident.io emulator listening on ${emulator.url}`, `  inspect:      ${emulator.url}/_emulator/`];
  for (const s of emulator.alertSources) {
    lines.push(`  alert source: ${s.name} (${s.id})`);
    lines.push(`    url:        ${emulator.url}/v2/alert_events/http/${s.id}`);
    lines.push(`    token:      ${generatedSources ? s.token : '(as configured)'}`);
  }
  for (const k of emulator.apiKeys) {
    lines.push(`  API key:      ${k.name}: ${generatedKeys ? k.key : '(as configured)'}`);
    lines.push(`    scopes:     ${k.scopes.join(', ') || '(none)'}`);
  }
  const source = emulator.alertSources[0];
  if (source) {
    const token = generatedSources ? source.token : '<alert source token>';
    const body = JSON.stringify({ title: 'Test alert from curl', status: 'firing', deduplication_key: 'curl-test-1' });
    lines.push(
      '',
      'Send a test alert event:',
      `  curl -sS -X POST ${shellQuote(`${emulator.url}/v2/alert_events/http/${source.id}`)} \\`,
      `    -H ${shellQuote(`Authorization: Bearer ${token}`)} -H 'Content-Type: application/json' \\`,
      `    -d ${shellQuote(body)}`,
    );
  }
  if ((options.host ?? '127.0.0.1') !== '127.0.0.1' && options.host !== 'localhost' && options.host !== '::1') {
    lines.push('', `Warning: /_emulator/ has no authentication and is reachable on ${options.host}.`);
  }
  lines.push('', 'Press Ctrl+C to stop.');
  return `${lines.join('\n')}\n`;
}

/** `out` is where the banner goes (stdout; tests pass their own). */
export function registerEmulatorCommand(program: Command, out: { write(text: string): unknown } = process.stdout): void {
  program
    .command('emulator')
    .description('Run a local emulator of the incident.io endpoints tocsin uses (alert events, alerts, incidents, statuses, severities)')
    .option('--port <port>', `port to listen on (default ${DEFAULT_PORT})`)
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--alert-source <id=token>', 'an HTTP alert source and its secret token (repeatable)', collect, [])
    .option('--api-key <key[:scope,scope]>', 'an organisation API key, optionally limited to scopes (repeatable)', collect, [])
    .option('--alert-events-per-minute <n>', 'per alert source limit (default 120)')
    .option('--api-requests-per-minute <n>', 'per API key limit (default 1200)')
    .option('--config <file>', 'emulator YAML config (host, port, alert_sources, api_keys, limits)')
    .option('--log', 'log every request (credentials redacted)')
    .action(async (cli: EmulatorCliOptions) => {
      let options: EmulatorOptions;
      try {
        options = emulatorOptionsFrom(cli);
      } catch (e) {
        if (e instanceof EmulatorConfigError) throw new CliError(e.message, EXIT.usage);
        throw e;
      }
      const emulator = await startEmulator(options).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
          const where = `${options.host ?? '127.0.0.1'}:${options.port ?? DEFAULT_PORT}`;
          throw new CliError(`cannot listen on ${where}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : 'permission denied'}; pick another with --port`, EXIT.usage);
        }
        throw e;
      });
      out.write(startupBanner(emulator, options));
      await new Promise<void>((resolve, reject) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          out.write(`\n${signal}: stopping the emulator\n`);
          emulator.close().then(resolve, reject);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
