import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import type { Severity } from '../domain/alert.ts';
import { destinationTypes } from '../destinations/registry.ts';
import { compileMatcher, type MatchOp } from '../routing/matchers.ts';
import type { StormSettings } from '../domain/storm.ts';
import type { Route } from '../routing/routes.ts';
import { sourceTypes } from '../sources/registry.ts';
import { expandEnv, resolveSecretFiles, type ConfigProblem } from './expand.ts';
import { configSchema, type RawConfig, type RawRoute } from './schema.ts';
import { buildHeartbeats, heartbeatWarnings, type HeartbeatConfig, type SelfHeartbeatConfig } from './heartbeats-schema.ts';
import type { AckLinkSettings } from '../ack/token.ts';
import { ackWarnings } from '../ack/warnings.ts';
import { compileQueries, type QueriesConfig } from '../queries/config.ts';
import { checkRouteIntervals, compileMuteRules } from './mute-schema.ts';
import type { MuteRules } from '../mute/decide.ts';
import type { StorageSettings } from './storage.ts';
import { configWarnings } from './warnings.ts';
import { readTextCapped } from './read-file.ts';
import { MAX_CONFIG_BYTES, yamlDocument } from './yaml-document.ts';

export interface SourceConfig {
  name: string;
  type: string;
  token: string;
  bodyLimit: number;
  /** `severity_map`, keys lower-cased. */
  severityMap: Readonly<Record<string, Severity>>;
  /** `resolve_after`: an alert of this source with no new event for this long is resolved. */
  resolveAfterMs?: number | undefined;
  options: unknown;
}

export interface DestinationConfig {
  name: string;
  type: string;
  config: { type: string } & Record<string, unknown>;
  /** `storm:` (every destination type has it; not part of the type's own settings). */
  storm?: StormSettings;
}

export interface Config {
  listen: { host: string; port: number };
  storage: StorageSettings;
  adminToken: string | undefined;
  logLevel: string;
  bodyLimit: number;
  /** `request_timeout`: headers and body must arrive within this. Fixed when the HTTP server starts (a restart applies it). */
  requestTimeoutMs: number;
  /** `shutdown_timeout`: the longest a stop waits for work in flight. */
  shutdownTimeoutMs: number;
  sources: Map<string, SourceConfig>;
  destinations: Map<string, DestinationConfig>;
  routes: Route[];
  /** `heartbeats:` by name (docs/heartbeats.md). */
  heartbeats: Map<string, HeartbeatConfig>;
  /** `self_heartbeat:`: tocsin's own liveness, pinged to incident.io while ready. */
  selfHeartbeat: SelfHeartbeatConfig | undefined;
  /** `time_intervals` and `inhibit_rules` (mute/decide.ts); silences live in the database. */
  mute: MuteRules;
  cluster: { leaseTtlMs: number };
  /** `ack:`: signed acknowledgement links (docs/acknowledge.md); undefined when not configured. */
  ack: AckLinkSettings | undefined;
  /** `databases:` and `queries:`: scheduled SQL alert queries (docs/queries.md). */
  queries: QueriesConfig;
  delivery: { concurrency: number; maxRetryAgeMs: number; maxRetryAfterMs: number; pollIntervalMs: number; backoff: { baseMs: number; capMs: number } };
  /** Where relative paths in the file are resolved from. */
  baseDir: string;
  /** Where this config came from, so a reload (SIGHUP, `POST /-/reload`) reads the same place again. */
  origin: ConfigOrigin;
  /** Not errors, but likely mistakes (no default route, a matcher no source can satisfy): check-config prints them. */
  warnings: ConfigProblem[];
}

export type ConfigOrigin = { kind: 'file'; path: string } | { kind: 'env' } | { kind: 'inline' };

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.path || '(top level)'}: ${p.message}`).join('\n')}`);
  }
}

function zodProblems(error: z.ZodError, prefix: string): ConfigProblem[] {
  return error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    if (i.code === 'unrecognized_keys') return { path, message: `unknown key(s): ${i.keys.join(', ')}` };
    if (i.code === 'invalid_union' && i.unionErrors.length) {
      const first = i.unionErrors.flatMap((u) => u.issues)[0];
      return { path: [path, ...(first?.path ?? []).map(String)].filter(Boolean).join('.'), message: first?.message ?? i.message };
    }
    return { path, message: i.message };
  });
}

function compileRoutes(raw: RawRoute[], destinations: Set<string>, problems: ConfigProblem[], mute?: MuteRules): Route[] {
  return raw.map((r, i) => {
    const known = (list: string[], path: string) =>
      list.filter((d) => {
        if (destinations.has(d)) return true;
        problems.push({ path, message: `unknown destination "${d}" (configured: ${[...destinations].join(', ') || 'none'})` });
        return false;
      });
    const [first, ...later] = r.escalation ?? [{ to: r.to ?? [], afterMs: 0 }];
    const to = known(first!.to, r.escalation ? `routes[${i}].escalation[0]` : `routes[${i}].to`);
    const steps = later.map((s, j) => ({ afterMs: s.afterMs, to: known(s.to, `routes[${i}].escalation[${j + 1}]`) }));
    const matchers = Object.entries(r.match).flatMap(([label, v]) => {
      const [op, value] = typeof v === 'string' ? (['=', v] as const) : (Object.entries(v)[0] as [MatchOp, string]);
      try {
        return [compileMatcher(label, op as MatchOp, value)];
      } catch (e) {
        problems.push({ path: `routes[${i}].match.${label}`, message: `invalid regular expression: ${(e as Error).message}` });
        return [];
      }
    });
    return {
      matchers,
      to,
      ...(steps.length ? { steps } : {}),
      continue: r.continue,
      ...(r.resolve_after !== undefined ? { resolveAfterMs: r.resolve_after } : {}),
      ...(mute ? checkRouteIntervals(r, i, mute, problems) : {}),
    };
  });
}

/** Validates a parsed config document. Every problem names its key path; all are reported at once. */
export function buildConfig(doc: unknown, env: NodeJS.ProcessEnv, baseDir: string): Config {
  const problems: ConfigProblem[] = [];
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError([{ path: '', message: 'the file must hold a YAML mapping' }]);
  const expanded = resolveSecretFiles(expandEnv(doc, env, '', problems), baseDir, '', problems);
  if (problems.length) throw new ConfigError(problems);
  const parsed = configSchema.safeParse(expanded);
  if (!parsed.success) {
    // Report the per-source and per-destination problems too, so one run of check-config shows everything.
    const doc = expanded as { sources?: unknown; destinations?: unknown };
    const sources = configSchema.shape.sources.safeParse(doc.sources);
    const destinations = configSchema.shape.destinations.safeParse(doc.destinations);
    validateEntries(sources.success ? sources.data : {}, destinations.success ? destinations.data : {}, 0, problems);
    throw new ConfigError([...zodProblems(parsed.error, ''), ...problems]);
  }
  const raw = parsed.data;
  const { sources, destinations } = validateEntries(raw.sources, raw.destinations, raw.body_limit, problems);

  // No routes at all: everything goes to every destination, which is what a one-destination setup expects.
  const rawRoutes: RawRoute[] = raw.routes ?? (destinations.size ? [{ match: {}, to: [...destinations.keys()], continue: false }] : []);
  const mute = compileMuteRules(raw.time_intervals, raw.inhibit_rules, problems);
  const routes = compileRoutes(rawRoutes, new Set(Object.keys(raw.destinations)), problems, mute);
  const heartbeats = buildHeartbeats(raw.heartbeats, sources, problems);
  const queries = compileQueries(raw.databases, raw.queries, problems);
  if (problems.length) throw new ConfigError(problems);

  return {
    listen: raw.listen,
    storage: 'sqlite' in raw.storage ? { sqlite: resolve(baseDir, raw.storage.sqlite) } : raw.storage,
    adminToken: raw.admin_token,
    logLevel: raw.log_level,
    bodyLimit: raw.body_limit,
    requestTimeoutMs: raw.request_timeout,
    shutdownTimeoutMs: raw.shutdown_timeout,
    sources,
    destinations,
    routes,
    mute,
    heartbeats,
    selfHeartbeat: raw.self_heartbeat,
    cluster: { leaseTtlMs: raw.cluster.lease_ttl },
    delivery: {
      concurrency: raw.delivery.concurrency,
      maxRetryAgeMs: raw.delivery.max_retry_age,
      maxRetryAfterMs: raw.delivery.max_retry_after,
      pollIntervalMs: raw.delivery.poll_interval,
      backoff: { baseMs: raw.delivery.retry_base_delay, capMs: raw.delivery.retry_max_delay },
    },
    baseDir,
    origin: { kind: 'inline' },
    ack: raw.ack,
    queries,
    warnings: [...configWarnings({ routes, explicitRoutes: raw.routes !== undefined, sources, destinations }), ...ackWarnings(raw.ack, destinations), ...heartbeatWarnings(heartbeats, routes, destinations.size)],
  };
}

/** A registry's entry for a config's `type`: never an Object.prototype member (`type: constructor` is unknown). */
const ownEntry = <T>(registry: Record<string, T>, key: string): T | undefined => (Object.hasOwn(registry, key) ? registry[key] : undefined);

/** Each source's and destination's own keys, by the schema of its type. */
function validateEntries(rawSources: RawConfig['sources'], rawDestinations: RawConfig['destinations'], bodyLimit: number, problems: ConfigProblem[]) {
  const sources = new Map<string, SourceConfig>();
  for (const [name, s] of Object.entries(rawSources)) {
    const type = ownEntry(sourceTypes, s.type);
    if (!type) {
      problems.push({ path: `sources.${name}.type`, message: `unknown source type "${s.type}" (known: ${Object.keys(sourceTypes).join(', ')})` });
      continue;
    }
    const { type: _t, token, body_limit, severity_map, resolve_after, ...rest } = s;
    const options = type.options.safeParse(rest);
    if (!options.success) {
      problems.push(...zodProblems(options.error, `sources.${name}`));
      continue;
    }
    sources.set(name, { name, type: s.type, token, bodyLimit: body_limit ?? Math.max(type.defaultBodyLimit ?? 0, bodyLimit), severityMap: severity_map ?? {}, resolveAfterMs: resolve_after, options: options.data });
  }

  const destinations = new Map<string, DestinationConfig>();
  for (const [name, d] of Object.entries(rawDestinations)) {
    const type = ownEntry(destinationTypes, d.type);
    if (!type) {
      problems.push({ path: `destinations.${name}.type`, message: `unknown destination type "${d.type}" (known: ${Object.keys(destinationTypes).join(', ')})` });
      continue;
    }
    const { storm, ...settings } = d;
    const c = type.config.safeParse(settings);
    if (!c.success) {
      problems.push(...zodProblems(c.error, `destinations.${name}`));
      continue;
    }
    destinations.set(name, { name, type: d.type, config: c.data as DestinationConfig['config'], storm });
  }

  return { sources, destinations };
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Config {
  const read = readTextCapped(path, MAX_CONFIG_BYTES, { regularOnly: false });
  if (!read.ok) throw new ConfigError([{ path: '', message: `cannot read config file ${path}: ${read.reason}` }]);
  const doc = yamlDocument(read.text);
  if (!doc.ok) throw new ConfigError(doc.problems);
  return { ...buildConfig(doc.value, env, dirname(resolve(path))), origin: { kind: 'file', path: resolve(path) } };
}
