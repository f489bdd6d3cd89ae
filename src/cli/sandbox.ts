import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildConfig, ConfigError, type Config } from '../config/load.ts';
import { startEmulator, type RunningEmulator } from '../emulator/index.ts';
import { CliError, EXIT } from './exit.ts';

/** The sandbox's own settings, in the environment since it has no config file (README, "Two commands"). */
export const SANDBOX_ENV = { listen: 'TOCSIN_LISTEN', emulatorPort: 'TOCSIN_EMULATOR_PORT' } as const;
const DEFAULT_EMULATOR_PORT = 8090;

interface SandboxSecrets {
  app_token: string;
  admin_token: string;
  alert_source_id: string;
  alert_source_token: string;
}

const secret = () => randomBytes(18).toString('base64url');

/** Generated once and kept beside the database, so a restarted sandbox keeps its curl line working. */
function loadSecrets(path: string): SandboxSecrets {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as SandboxSecrets;
  const s: SandboxSecrets = {
    app_token: secret(),
    admin_token: secret(),
    alert_source_id: `01SANDBOX${randomBytes(8).toString('hex').toUpperCase()}`,
    alert_source_token: secret(),
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}

function emulatorPort(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[SANDBOX_ENV.emulatorPort];
  if (!raw) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`${SANDBOX_ENV.emulatorPort} must be a port number from 0 to 65535, got "${raw}"`, EXIT.usage);
  return port;
}

/** The default port falls back to any free one, so a first `npm start` just works; a port the user chose must be had. */
async function startSandboxEmulator(env: NodeJS.ProcessEnv, s: SandboxSecrets): Promise<RunningEmulator> {
  const opts = { alertSources: [{ id: s.alert_source_id, token: s.alert_source_token, name: 'tocsin sandbox' }] };
  const chosen = emulatorPort(env);
  try {
    return await startEmulator({ ...opts, port: chosen ?? DEFAULT_EMULATOR_PORT });
  } catch (e) {
    if (chosen === undefined) return startEmulator({ ...opts, port: 0 });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`the sandbox's emulator cannot listen on 127.0.0.1:${chosen}: the port is in use; set ${SANDBOX_ENV.emulatorPort} to a free port (0: any)`, EXIT.usage);
    throw e;
  }
}

/** The gateway's side of a "port in use" in sandbox mode: the setting to change is an environment variable. */
export const sandboxListenHint = `set ${SANDBOX_ENV.listen}=127.0.0.1:<port> (the sandbox's listen address; ${SANDBOX_ENV.emulatorPort} is its emulator's port)`;

export interface Sandbox {
  config: Config;
  emulator: RunningEmulator;
  secrets: SandboxSecrets;
}

/**
 * No config file: tocsin runs against an in-process incident.io emulator, so a first alert arrives within a minute.
 * It keeps its own database: a live config's default `./data/tocsin.db` never starts with the sandbox's alerts in it.
 */
export async function startSandbox(dataDir = './data', env: NodeJS.ProcessEnv = process.env): Promise<Sandbox> {
  const listen = env[SANDBOX_ENV.listen] || '127.0.0.1:8080';
  const secrets = loadSecrets(resolve(dataDir, 'sandbox.json'));
  const emulator = await startSandboxEmulator(env, secrets);
  const doc = {
    listen,
    storage: { sqlite: `${dataDir}/sandbox.db` },
    admin_token: secrets.admin_token,
    sources: { app: { type: 'alerts', token: secrets.app_token } },
    destinations: {
      sandbox: { type: 'incident_io_alert_source', alert_source_config_id: secrets.alert_source_id, token: secrets.alert_source_token, base_url: emulator.url },
    },
  };
  let config: Config;
  try {
    config = buildConfig(doc, env, process.cwd());
  } catch (e) {
    await emulator.close();
    if (!(e instanceof ConfigError)) throw e;
    if (e.problems.some((p) => p.path === 'listen')) throw new CliError(`${SANDBOX_ENV.listen} must be host:port, e.g. 127.0.0.1:8080, got "${listen}"`, EXIT.usage);
    throw new CliError(`(sandbox): ${e.message}`, EXIT.usage);
  }
  return { config, emulator, secrets };
}

export function sandboxBanner(gatewayUrl: string, sb: Sandbox): string {
  const body = `{"title":"Orders API 5xx above 2%","dedup_key":"orders-5xx","severity":"critical","metadata":{"service":"orders"}}`;
  return [
    '',
    'tocsin is running in SANDBOX mode: no config file was found (--config, TOCSIN_CONFIG or ./tocsin.yaml),',
    'so alerts go to a local incident.io emulator, never to incident.io.',
    '',
    `  gateway         ${gatewayUrl}`,
    `  web UI          ${gatewayUrl}/ui/   (log in with the admin token below)`,
    `  emulator        ${sb.emulator.url}/_emulator/   (open it to watch alerts arrive)`,
    `  source "app"    token ${sb.secrets.app_token}`,
    `  admin token     ${sb.secrets.admin_token}   (kept in ./data/sandbox.json)`,
    `  database        ${'sqlite' in sb.config.storage ? sb.config.storage.sqlite : '-'}   (the sandbox's own)`,
    '',
    'Send an alert:',
    `  curl -X POST ${gatewayUrl}/ingest/app -H 'Authorization: Bearer ${sb.secrets.app_token}' -H 'Content-Type: application/json' \\`,
    `       -d '${body}'`,
    'Resolve it: the same with "status":"resolved".',
    `Other ports: ${SANDBOX_ENV.listen}=127.0.0.1:8081 ${SANDBOX_ENV.emulatorPort}=8091 npm start`,
    'To go live, copy tocsin.example.yaml to tocsin.yaml and fill in your incident.io alert source.',
    '',
  ].join('\n');
}
