import { z } from 'zod';
import { SEVERITIES, type Severity } from '../domain/alert.ts';
import type { ConfigProblem } from './expand.ts';
import { route, type Route } from '../routing/routes.ts';

/**
 * `heartbeats:` (dead man's switches) and `self_heartbeat:` (tocsin's own liveness, pinged to incident.io). Kept out
 * of schema.ts so the shared file only names the two keys. Durations are parsed as in schema.ts (`30s`, `5m`, `25h`).
 */

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration as written (`25h`), kept beside its milliseconds: the alert's title says what the config said. */
const duration = z.union([z.number().int().nonnegative(), z.string().regex(DURATION, 'must be a duration like 30s, 5m, 25h')]).transform((v) => {
  if (typeof v === 'number') return { ms: v * 1000, text: `${v}s` };
  const m = DURATION.exec(v)!;
  return { ms: Number(m[1]) * UNITS[m[2] as keyof typeof UNITS], text: v };
});

const tokenSchema = z.string().min(16, 'must be at least 16 characters: generate one with `openssl rand -hex 24`');

/**
 * Where incident.io's heartbeat alert source is pinged (`GET|POST /v2/heartbeat/{alert_source_config_id}/ping`):
 * the ping URL copied from incident.io (its `?token=` included, or the key given apart), or the source's id.
 */
const pingTarget = z.object({
  url: z.string().url('must be the ping URL incident.io shows, e.g. https://api.incident.io/v2/heartbeat/<id>/ping').optional(),
  heartbeat_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the alert source id incident.io shows (letters and digits)').optional(),
  /** The heartbeat source's token or an API key: sent as `Authorization: Bearer`. Optional when `url` has `?token=`. */
  api_key: z.string().min(1).optional(),
  base_url: z.string().url().default('https://api.incident.io'),
  timeout: duration.default('10s'),
});
type RawTarget = z.infer<typeof pingTarget>;

function checkTarget(o: RawTarget, ctx: z.RefinementCtx): void {
  if ((o.url === undefined) === (o.heartbeat_id === undefined)) ctx.addIssue({ code: 'custom', path: ['url'], message: 'give either url (the ping URL) or heartbeat_id (the alert source id), one of them' });
  if (o.url !== undefined && !/^https?:$/.test(new URL(o.url).protocol)) ctx.addIssue({ code: 'custom', path: ['url'], message: 'must be an http(s) URL' });
  const hasQueryToken = o.url !== undefined && new URL(o.url).searchParams.has('token');
  if (o.api_key === undefined && !hasQueryToken) ctx.addIssue({ code: 'custom', path: ['api_key'], message: "give api_key (the heartbeat source's token), or a url with ?token=" });
}

function toPing(o: RawTarget): IncidentIoPing {
  const url = o.url ?? `${o.base_url.replace(/\/+$/, '')}/v2/heartbeat/${encodeURIComponent(o.heartbeat_id!)}/ping`;
  const parsed = new URL(url);
  const id = /\/v2\/heartbeat\/([^/]+)\/ping\/?$/.exec(parsed.pathname)?.[1];
  return { url, apiKey: o.api_key, timeoutMs: o.timeout.ms, shownAs: `${parsed.origin}${id ? ` heartbeat ${decodeURIComponent(id)}` : parsed.pathname}` };
}

const incidentIoPing = pingTarget.strict().superRefine(checkTarget).transform(toPing);

export interface IncidentIoPing {
  /** May carry `?token=`: a secret, never logged or shown (`shownAs` is). */
  url: string;
  apiKey: string | undefined;
  timeoutMs: number;
  /** What logs and the API show: the host and the heartbeat id, never a token. */
  shownAs: string;
}

const labelName = /^[A-Za-z_][A-Za-z0-9_.-]{0,62}$/;

const heartbeat = z
  .object({
    /** Expected at least this often. */
    // Optional to zod, required below: a missing key inside a union reads as a doubled path in the error.
    every: duration.refine((d) => d.ms >= 1000, 'must be at least 1s').optional(),
    /** Extra leeway before a late ping counts as missed (a job that runs long). */
    grace: duration.default(0),
    /** A token only this heartbeat's pingers hold (any source's token works too). */
    token: tokenSchema.optional(),
    severity: z.enum(SEVERITIES, { errorMap: () => ({ message: `must be one of ${SEVERITIES.join(', ')}` }) }).default('critical'),
    /** The missed alert's title; default `<name>: no heartbeat for <every>`. */
    title: z.string().min(1).max(250).optional(),
    description: z.string().max(5000).optional(),
    /** Labels the missed alert carries for routes (`heartbeat=<name>` and `source=tocsin:heartbeat` always). */
    labels: z
      .record(z.union([z.string(), z.number().transform(String), z.boolean().transform(String)]))
      .superRefine((l, ctx) => {
        for (const k of Object.keys(l)) {
          if (!labelName.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: 'label names use letters, digits, _ . - and start with a letter or _' });
          if (k === 'source' || k === 'severity' || k === 'heartbeat') ctx.addIssue({ code: 'custom', path: [k], message: `"${k}" is set by tocsin itself` });
        }
      })
      .default({}),
    /** An Alertmanager (or Grafana) source whose always-firing alert (`Watchdog`) counts as this heartbeat's ping. */
    alertmanager: z
      .object({
        source: z.string().min(1),
        alertname: z.string().min(1).default('Watchdog'),
        /** Further labels the alert must carry (several Prometheus servers, one Watchdog each). */
        match: z.record(z.string()).default({}),
      })
      .strict()
      .optional(),
    /** Every ping is also sent on to an incident.io heartbeat alert source (in the background, retried). */
    forward: incidentIoPing.optional(),
    /** Alias of `forward`. */
    incident_io: incidentIoPing.optional(),
    /** false: tocsin raises no alert of its own when pings stop (incident.io's heartbeat, pinged by forward, does). */
    alert: z.boolean().default(true),
  })
  .strict()
  .superRefine((h, ctx) => {
    if (!h.every) ctx.addIssue({ code: 'custom', path: ['every'], message: 'required: how often a ping is expected, e.g. every: 25h' });
    if (h.forward && h.incident_io) ctx.addIssue({ code: 'custom', path: ['incident_io'], message: 'incident_io is another name for forward: give one of them' });
    if (!h.alert && !h.forward && !h.incident_io) ctx.addIssue({ code: 'custom', path: ['alert'], message: 'alert: false needs forward (else a missed heartbeat tells nobody)' });
  });

export const heartbeatsSchema = z.record(z.string().regex(NAME, 'heartbeat names use letters, digits, - and _ (at most 63), starting with a letter or digit'), heartbeat).default({});

export const selfHeartbeatSchema = pingTarget
  /** How often this instance pings while it is ready; match the interval set on incident.io's heartbeat. */
  .extend({ every: duration.refine((d) => d.ms >= 1000, 'must be at least 1s').default('1m') })
  .strict()
  .superRefine(checkTarget)
  .transform((o): SelfHeartbeatConfig => ({ ...toPing(o), everyMs: o.every.ms }))
  .optional();

export interface HeartbeatConfig {
  name: string;
  everyMs: number;
  /** `every` as written, for the alert's title. */
  everyText: string;
  graceMs: number;
  token: string | undefined;
  severity: Severity;
  title: string;
  description: string | undefined;
  labels: Record<string, string>;
  watchdog: { source: string; alertname: string; match: Record<string, string> } | undefined;
  forward: IncidentIoPing | undefined;
  alert: boolean;
}

export type SelfHeartbeatConfig = IncidentIoPing & { everyMs: number };

type RawHeartbeats = z.infer<typeof heartbeatsSchema>;

/** The parsed heartbeats, with what only the whole config can tell: the Watchdog's source exists and reads labels. */
export function buildHeartbeats(raw: RawHeartbeats, sources: ReadonlyMap<string, { type: string }>, problems: ConfigProblem[]): Map<string, HeartbeatConfig> {
  const out = new Map<string, HeartbeatConfig>();
  const claimed = new Map<string, string>();
  for (const [name, h] of Object.entries(raw)) {
    const wd = h.alertmanager;
    if (wd) {
      const path = `heartbeats.${name}.alertmanager.source`;
      const s = sources.get(wd.source);
      if (!s) problems.push({ path, message: `unknown source "${wd.source}" (configured: ${[...sources.keys()].join(', ') || 'none'})` });
      else if (s.type !== 'alertmanager' && s.type !== 'grafana') problems.push({ path, message: `source "${wd.source}" is of type ${s.type}: only alertmanager and grafana sources carry a Watchdog alert` });
      const key = `${wd.source}\0${wd.alertname}\0${JSON.stringify(Object.entries(wd.match).sort())}`;
      const other = claimed.get(key);
      if (other) problems.push({ path: `heartbeats.${name}.alertmanager`, message: `heartbeat "${other}" already takes this alert from ${wd.source}: add match labels to tell them apart` });
      claimed.set(key, name);
    }
    const every = h.every!; // checked by the schema
    out.set(name, {
      name,
      everyMs: every.ms,
      everyText: every.text,
      graceMs: h.grace.ms,
      token: h.token,
      severity: h.severity,
      title: h.title ?? `${name}: no heartbeat for ${every.text}`,
      description: h.description,
      labels: h.labels,
      watchdog: wd,
      forward: h.forward ?? h.incident_io,
      alert: h.alert,
    });
  }
  return out;
}

/**
 * check-config warnings: a heartbeat whose missed alert no route takes would be stored and delivered nowhere (the
 * labels it will carry are known now: `heartbeat`, `source`, `severity` and the configured ones).
 */
export function heartbeatWarnings(heartbeats: ReadonlyMap<string, HeartbeatConfig>, routes: readonly Route[], destinations: number): ConfigProblem[] {
  if (destinations === 0) return [];
  const out: ConfigProblem[] = [];
  for (const hb of heartbeats.values()) {
    if (!hb.alert) continue;
    const labels: Record<string, string[]> = { source: ['tocsin:heartbeat'], heartbeat: [hb.name], severity: [hb.severity] };
    for (const [k, v] of Object.entries(hb.labels)) labels[k] = [v];
    if (route(routes, labels).length === 0) out.push({ path: `heartbeats.${hb.name}`, message: 'its missed alert (labels heartbeat, source=tocsin:heartbeat, severity and its labels) matches no route: it would be delivered nowhere' });
  }
  return out;
}
