import { z } from 'zod';
import { SEVERITIES } from '../domain/alert.ts';
import type { StormSettings } from '../domain/storm.ts';
import { storageSchema } from './storage.ts';
import { heartbeatsSchema, selfHeartbeatSchema } from './heartbeats-schema.ts';
import { ackSchema } from './ack-schema.ts';
import { queryConfigKeys } from '../queries/config.ts';
import { inhibitRulesSchema, routeMuteKeys, timeIntervalsSchema } from './mute-schema.ts';

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;
const nameHint = 'letters, digits, - and _ (at most 63), starting with a letter or digit';

const listen = z
  .string()
  .regex(/^(\[[0-9a-f:]+\]|[^:\s]+):\d{1,5}$/i, 'must be host:port, e.g. 127.0.0.1:8080')
  // Checked here, not at listen time: 99999 passed check-config and then stopped start with a stack trace.
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'the port must be between 0 and 65535')
  .transform((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
  });


const matchValue = z.union([
  z.string(),
  z.number().transform(String),
  z.boolean().transform(String),
  z
    .object({ '=': z.string().optional(), '!=': z.string().optional(), '=~': z.string().optional(), '!~': z.string().optional() })
    .strict()
    .refine((o) => Object.keys(o).length === 1, 'give exactly one of "=", "!=", "=~", "!~"'),
]);

const duration = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration like 30s, 5m, 24h')]).transform((v) => {
  if (typeof v === 'number') return v * 1000;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(v)!;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
});

const destinationList = z.union([z.string(), z.array(z.string()).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

/** One step of an escalation: where to (`notify` or `to`, the same), and how long after the alert fired. */
const escalationStep = z
  .object({ notify: destinationList.optional(), to: destinationList.optional(), after: duration.optional() })
  .strict()
  .refine((s) => (s.notify === undefined) !== (s.to === undefined), 'give the step\'s destinations as notify or to (one of them)')
  .transform((s) => ({ to: (s.notify ?? s.to)!, afterMs: s.after ?? 0 }));

const route = z
  .object({
    match: z.record(matchValue).default({}),
    to: destinationList.optional(),
    /** Steps instead of a flat `to`: the first at once, each later one `after` the alert fired unless acknowledged. */
    escalation: z
      .array(escalationStep)
      .min(1)
      .superRefine((steps, ctx) => {
        if (steps[0]!.afterMs !== 0) ctx.addIssue({ code: 'custom', path: [0, 'after'], message: 'the first step goes out at once: leave after out' });
        for (let i = 1; i < steps.length; i++) {
          if (steps[i]!.afterMs <= steps[i - 1]!.afterMs) ctx.addIssue({ code: 'custom', path: [i, 'after'], message: 'each step comes after the one before (after counts from when the alert fired)' });
        }
      })
      .optional(),
    continue: z.boolean().default(false),
    /** Alertmanager's mute_time_intervals / active_time_intervals (names under time_intervals): mute-schema.ts. */
    ...routeMuteKeys,
    /** This route's alerts with no new event for this long are resolved (overrides the source's resolve_after). */
    resolve_after: duration.refine((ms) => ms >= 1000, 'must be at least 1s').optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.to === undefined) === (r.escalation === undefined)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'give a route either to (destinations) or escalation (steps), not both or neither' });
  });

/** Storm mode per destination (DESIGN.md): on when its backlog would take longer than `after` to drain. */
const storm = z
  .object({
    enabled: z.boolean().default(true),
    after: duration.refine((ms) => ms >= 1000, 'must be at least 1s').default('2m'),
    /** The summary's updates spend the destination's own rate limit: at most one per this long. */
    update_interval: duration.refine((ms) => ms >= 1000, 'must be at least 1s').default('30s'),
    /** Labels whose values group the summary's counts, as Alertmanager's group_by. */
    group_by: z.array(z.string().min(1)).max(10).default(['alertname', 'service', 'team']),
  })
  .strict()
  .transform((s): StormSettings => ({ enabled: s.enabled, afterMs: s.after, updateIntervalMs: s.update_interval, groupBy: s.group_by }))
  .default({});

export const sourceBase = z
  .object({
    type: z.string({ required_error: 'say which kind of source this is, e.g. type: alerts' }),
    token: z.string({ required_error: 'every source needs a token (or token_file) that senders present as a Bearer token' }).min(16, 'must be at least 16 characters: generate one with `openssl rand -hex 24`'),
    body_limit: z.number().int().positive().optional(),
    /** For senders that only ever fire: an alert with no new event for this long is resolved (TTL). */
    resolve_after: duration.refine((ms) => ms >= 1000, 'must be at least 1s').optional(),
    /** The sender's own severity words (`P1`, `SEV2`, `High`) → tocsin severities; matched case-insensitively. */
    severity_map: z
      .record(z.enum(SEVERITIES, { errorMap: () => ({ message: `must be one of ${SEVERITIES.join(', ')}` }) }))
      .transform((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k.trim().toLowerCase(), v])))
      .optional(),
  })
  .passthrough();

export const configSchema = z
  .object({
    listen: listen.default('127.0.0.1:8080'),
    storage: storageSchema.default({ sqlite: './data/tocsin.db' }),
    admin_token: z.string().min(16, 'must be at least 16 characters: generate one with `openssl rand -hex 24`').optional(),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    body_limit: z.number().int().positive().default(1024 * 1024),
    /**
     * How long a stop (SIGTERM, SIGINT) waits for requests and sends in flight before exiting; what is still in flight
     * then is sent again after the restart, with the same key. Keep a supervisor's stop timeout above it.
     */
    shutdown_timeout: duration.refine((ms) => ms >= 1000 && ms <= 600_000, 'must be between 1s and 10m').default('10s'),
    /** A request's headers and body must arrive within this (its headers within 10s); slower ones get a 408. */
    request_timeout: duration.refine((ms) => ms >= 1000 && ms <= 3_600_000, 'must be between 1s and 1h').default('30s'),
    sources: z.record(z.string().regex(NAME, `source names use ${nameHint}`), sourceBase).default({}),
    destinations: z.record(z.string().regex(NAME, `destination names use ${nameHint}`), z.object({ type: z.string(), storm }).passthrough()).default({}),
    routes: z.array(route).optional(),
    /** Dead man's switches (docs/heartbeats.md): pinged at `POST /heartbeat/<name>` or by an Alertmanager Watchdog. */
    heartbeats: heartbeatsSchema,
    /** tocsin pings an incident.io heartbeat alert source while it is ready, so incident.io pages when tocsin is down. */
    self_heartbeat: selfHeartbeatSchema,
    /** Signed acknowledgement links in notifications (ack-schema.ts); without it no link is made. */
    ack: ackSchema.optional(),
    /** Scheduled SQL alert queries and the databases they read (docs/queries.md, queries/config.ts). */
    ...queryConfigKeys(duration),
    /** Alertmanager's named time intervals and inhibit rules (docs/silences.md, mute-schema.ts). */
    time_intervals: timeIntervalsSchema.optional(),
    inhibit_rules: inhibitRulesSchema.optional(),
    /**
     * Several instances on one PostgreSQL: each destination has one sender at a time, holding a lease it renews every
     * third of lease_ttl. When an instance dies, another takes its destinations over within about lease_ttl (at once
     * on the same machine). Shorter reacts faster; too short, and a long pause (GC, a slow database) hands over a
     * live sender's destination (safe, fenced, but its in-flight rows are sent again).
     */
    cluster: z
      .object({ lease_ttl: duration.refine((ms) => ms >= 2000 && ms <= 300_000, 'must be between 2s and 5m').default('10s') })
      .strict()
      .default({}),
    delivery: z
      .object({
        concurrency: z.number().int().min(1).max(64).default(4),
        /** A delivery still failing after this long is dead-lettered rather than retried for ever. */
        max_retry_age: duration.default('24h'),
        /** The longest Retry-After honoured: a server asking for more is retried after this (and logged once). */
        max_retry_after: duration.default('10m'),
        poll_interval: duration.default('1s'),
        /** First retry delay; doubles per attempt (with jitter) up to retry_max_delay. */
        retry_base_delay: duration.default('1s'),
        retry_max_delay: duration.default('5m'),
      })
      .strict()
      .default({}),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
export type RawRoute = z.infer<typeof route>;
