import { sourceTypes } from '../sources/registry.ts';
import type { ConfigProblem } from './expand.ts';
import { buildConfig, ConfigError, type Config } from './load.ts';

/**
 * The simple case without a file: sources and one incident.io alert source, from environment variables alone
 * (containers, `docker run -e`). Versus Incident's variable names are accepted where they mean the same thing.
 */
export const ENV = {
  sources: 'TOCSIN_SOURCES',
  listen: 'TOCSIN_LISTEN',
  sqlite: 'TOCSIN_SQLITE',
  /** A PostgreSQL URL (a secret: it may hold the password): several instances on one database. */
  postgres: 'TOCSIN_DATABASE_URL',
  adminToken: 'TOCSIN_ADMIN_TOKEN',
  /** Signed acknowledge links (docs/acknowledge.md): the secret (or _FILE) and where people reach tocsin. */
  ackSecret: 'TOCSIN_ACK_SECRET',
  ackPublicUrl: 'TOCSIN_ACK_PUBLIC_URL',
  logLevel: 'TOCSIN_LOG_LEVEL',
  alertSourceId: ['INCIDENT_IO_ALERT_SOURCE_ID', 'INCIDENTIO_ALERT_SOURCE_CONFIG_ID'],
  alertSourceToken: ['INCIDENT_IO_ALERT_SOURCE_TOKEN', 'INCIDENTIO_API_KEY'],
  baseUrl: 'INCIDENT_IO_BASE_URL',
} as const;

/** The destination's name in an environment-only config: what routes, logs and `?destination=` call it. */
export const ENV_DESTINATION = 'incident_io';

const set = (env: NodeJS.ProcessEnv, name: string) => env[name] !== undefined && env[name] !== '';

/** True when the environment asks for an environment-only config (checked only when there is no config file). */
export function envConfigRequested(env: NodeJS.ProcessEnv): boolean {
  return [ENV.sources, ...ENV.alertSourceId].some((n) => set(env, n));
}

/** `TOCSIN_SOURCE_<NAME>_TOKEN`: the name upper-cased, anything but letters and digits as `_`. */
export const sourceTokenVar = (name: string) => `TOCSIN_SOURCE_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_TOKEN`;

/** `$` would start an `${ENV}` reference when buildConfig expands the document: values from the environment are literal. */
const literal = (v: string) => v.replace(/\$/g, '$$$$');

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

/**
 * One of several names for the same setting (ours, then Versus'): its value and the variable it came from. Two of
 * them set to different values is a mistake worth stopping for.
 */
function pick(env: NodeJS.ProcessEnv, names: readonly string[], problems: ConfigProblem[]): { name: string; value: string; file?: boolean } | undefined {
  const given = names.filter((n) => set(env, n));
  const files = names.map((n) => `${n}_FILE`).filter((n) => set(env, n));
  if (new Set(given.map((n) => env[n])).size > 1) problems.push({ path: given.join(', '), message: 'set to different values: keep one' });
  if (given.length && files.length) problems.push({ path: `${given[0]}, ${files[0]}`, message: 'set either the value or the _FILE variable, not both' });
  if (given.length) return { name: given[0]!, value: env[given[0]!]! };
  if (files.length) return { name: files[0]!, value: env[files[0]!]!, file: true };
  return undefined;
}

/** Builds the whole config from the environment. Every problem names the variable to set or fix. */
export function configFromEnv(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): Config {
  const problems: ConfigProblem[] = [];
  const where = new Map<string, string>(); // config path → the variable that set it
  const doc: Record<string, unknown> = {};
  const secret = (target: Record<string, unknown>, key: string, path: string, names: readonly string[], missing: string) => {
    const v = pick(env, names, problems);
    if (!v) return problems.push({ path: names[0]!, message: missing });
    target[v.file ? `${key}_file` : key] = literal(v.value);
    const at = path ? `${path}.${key}` : key;
    where.set(`${at}_file`, v.name).set(at, v.name);
  };
  const plain = (key: string, name: string, transform: (v: string) => unknown = (v) => literal(v)) => {
    if (!set(env, name)) return;
    doc[key] = transform(env[name]!);
    where.set(key, name);
  };

  plain('listen', ENV.listen);
  plain('storage', ENV.sqlite, (v) => ({ sqlite: literal(v) }));
  where.set('storage.sqlite', ENV.sqlite);
  if (set(env, ENV.postgres) && set(env, ENV.sqlite)) problems.push({ path: ENV.postgres, message: `set ${ENV.sqlite} or ${ENV.postgres}, not both` });
  else plain('storage', ENV.postgres, (v) => ({ postgres: literal(v) }));
  where.set('storage.postgres.url', ENV.postgres).set('storage.postgres', ENV.postgres);
  plain('log_level', ENV.logLevel);
  if (set(env, ENV.adminToken) || set(env, `${ENV.adminToken}_FILE`)) secret(doc, 'admin_token', '', [ENV.adminToken], '');
  if (set(env, ENV.ackSecret) || set(env, `${ENV.ackSecret}_FILE`) || set(env, ENV.ackPublicUrl)) {
    const ack: Record<string, unknown> = {};
    secret(ack, 'secret', 'ack', [ENV.ackSecret], `the secret that signs acknowledge links (at least 32 characters; or ${ENV.ackSecret}_FILE)`);
    if (set(env, ENV.ackPublicUrl)) ack.public_url = literal(env[ENV.ackPublicUrl]!);
    else problems.push({ path: ENV.ackPublicUrl, message: 'the URL people reach tocsin at, e.g. https://tocsin.example.com (acknowledge links point there)' });
    where.set('ack.public_url', ENV.ackPublicUrl);
    doc.ack = ack;
  }

  const sources: Record<string, Record<string, unknown>> = {};
  const entries = (env[ENV.sources] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!entries.length) problems.push({ path: ENV.sources, message: 'list the sources, e.g. TOCSIN_SOURCES=app,alertmanager (name, or name:type)' });
  const byVar = new Map<string, string>();
  for (const entry of entries) {
    const [name = '', given] = entry.split(':').map((s) => s.trim());
    const type = given || (sourceTypes[name] ? name : 'alerts');
    if (!NAME.test(name)) {
      problems.push({ path: ENV.sources, message: `"${entry}": a source name uses letters, digits, - and _ (then :type)` });
      continue;
    }
    const tokenVar = sourceTokenVar(name);
    if (byVar.has(tokenVar)) {
      problems.push({ path: ENV.sources, message: `"${byVar.get(tokenVar)}" and "${name}" would both read ${tokenVar}: rename one` });
      continue;
    }
    byVar.set(tokenVar, name);
    sources[name] = { type };
    where.set(`sources.${name}.type`, ENV.sources);
    secret(sources[name], 'token', `sources.${name}`, [tokenVar], `the token senders to source "${name}" present (at least 16 characters; or ${tokenVar}_FILE)`);
  }
  doc.sources = sources;

  const destination: Record<string, unknown> = { type: 'incident_io_alert_source' };
  const id = pick(env, ENV.alertSourceId, problems);
  if (id) {
    destination.alert_source_config_id = literal(id.value);
    where.set(`destinations.${ENV_DESTINATION}.alert_source_config_id`, id.name);
  } else {
    problems.push({ path: ENV.alertSourceId[0], message: `the ID of your incident.io HTTP alert source (Versus' ${ENV.alertSourceId[1]} works too)` });
  }
  secret(destination, 'token', `destinations.${ENV_DESTINATION}`, ENV.alertSourceToken, `that alert source's secret token, not an API key (or ${ENV.alertSourceToken[0]}_FILE; Versus' ${ENV.alertSourceToken[1]} works too)`);
  if (set(env, ENV.baseUrl)) {
    destination.base_url = literal(env[ENV.baseUrl]!);
    where.set(`destinations.${ENV_DESTINATION}.base_url`, ENV.baseUrl);
  }
  doc.destinations = { [ENV_DESTINATION]: destination };

  // Versus' per-request alternative alert sources each need their own token in incident.io: that takes a file.
  for (const name of Object.keys(env).filter((n) => n.startsWith('INCIDENTIO_OTHER_ALERT_SOURCE_CONFIG_ID_') && set(env, n))) {
    problems.push({ path: name, message: 'several alert sources need a config file (one destination each, with its own token); environment variables configure one' });
  }
  if (problems.length) throw new ConfigError(problems);

  try {
    return { ...buildConfig(doc, env, cwd), origin: { kind: 'env' } };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(e.problems.map((p) => envProblem(p, where)));
  }
}

/** A problem found by the file validator, said in terms of the variable that caused it. */
function envProblem(p: ConfigProblem, where: ReadonlyMap<string, string>): ConfigProblem {
  const exact = where.get(p.path);
  if (exact) return { path: exact, message: p.message };
  const source = /^sources\.([^.]+)\.(.+)$/.exec(p.path);
  if (source) return { path: ENV.sources, message: `source "${source[1]}": ${source[2]}: ${p.message} (options beyond the token need a config file)` };
  return p;
}
