import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildConfig, type Config } from '../config/load.ts';
import { startEmulator, type RunningEmulator } from '../emulator/index.ts';

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

async function startEmulatorNear(port: number, s: SandboxSecrets): Promise<RunningEmulator> {
  const opts = { alertSources: [{ id: s.alert_source_id, token: s.alert_source_token, name: 'tocsin sandbox' }] };
  try {
    return await startEmulator({ ...opts, port });
  } catch {
    return startEmulator({ ...opts, port: 0 });
  }
}

export interface Sandbox {
  config: Config;
  emulator: RunningEmulator;
  secrets: SandboxSecrets;
}

/** No config file: tocsin runs against an in-process incident.io emulator, so a first alert arrives within a minute. */
export async function startSandbox(dataDir = './data'): Promise<Sandbox> {
  const secrets = loadSecrets(resolve(dataDir, 'sandbox.json'));
  const emulator = await startEmulatorNear(Number(process.env.TOCSIN_EMULATOR_PORT ?? 8090), secrets);
  const config = buildConfig(
    {
      listen: process.env.TOCSIN_LISTEN ?? '127.0.0.1:8080',
      storage: { sqlite: `${dataDir}/tocsin.db` },
      admin_token: secrets.admin_token,
      sources: { app: { type: 'alerts', token: secrets.app_token } },
      destinations: {
        sandbox: { type: 'incident_io_alert_source', alert_source_config_id: secrets.alert_source_id, token: secrets.alert_source_token, base_url: emulator.url },
      },
    },
    process.env,
    process.cwd(),
  );
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
    `  emulator        ${sb.emulator.url}/_emulator/   (open it to watch alerts arrive)`,
    `  source "app"    token ${sb.secrets.app_token}`,
    `  admin token     ${sb.secrets.admin_token}   (kept in ./data/sandbox.json)`,
    '',
    'Send an alert:',
    `  curl -X POST ${gatewayUrl}/ingest/app -H 'Authorization: Bearer ${sb.secrets.app_token}' -H 'Content-Type: application/json' \\`,
    `       -d '${body}'`,
    'Resolve it: the same with "status":"resolved".',
    'To go live, copy tocsin.example.yaml to tocsin.yaml and fill in your incident.io alert source.',
    '',
  ].join('\n');
}
