import { z } from 'zod';
import type { JsonObject } from '../../domain/alert.ts';
import type { DestinationType } from '../registry.ts';
import type { Destination, DeliveryPayload, SendOutcome } from '../types.ts';
import { buildAlertEvent } from './alert-event-payload.ts';
import { classify, type Hints } from './classify.ts';
import { createAgent, sendJson } from './http.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const REFRESH_RULE = 'must be a duration of at least 1s and under 48h (incident.io groups alerts within 48 h), like 24h; or 0 / false to turn refreshing off';

/** `refresh_after` in ms: a duration (`24h`, or milliseconds) from 1s to under 48h (later comes too late), or 0/false (off). */
const refreshAfter = z
  .unknown()
  .default('24h')
  .transform((v, ctx) => {
    const m = typeof v === 'string' ? /^(\d+)(ms|s|m|h|d)$/.exec(v) : null;
    const ms = v === false ? 0 : typeof v === 'number' && Number.isInteger(v) ? v : m ? Number(m[1]) * UNIT_MS[m[2]!]! : NaN;
    if (ms === 0 || (ms >= 1000 && ms < 48 * 3_600_000)) return ms;
    ctx.addIssue({ code: 'custom', message: REFRESH_RULE });
    return z.NEVER;
  });

const config = z
  .object({
    type: z.literal('incident_io_alert_source'),
    alert_source_config_id: z
      .string({ required_error: 'the ID of the HTTP alert source in incident.io (Alerts → Sources → your HTTP source), e.g. 01GW2G3V0S59R238FAHPDS1R66' })
      .regex(/^[A-Za-z0-9]{10,64}$/, 'must be the alert source ID (letters and digits, e.g. 01GW2G3V0S59R238FAHPDS1R66), not a URL'),
    token: z.string({ required_error: "the alert source's own secret token (shown when you create the HTTP source) — not an org API key" }).min(1),
    base_url: z.string().url().default('https://api.incident.io').transform((u) => u.replace(/\/+$/, '')),
    metadata: z.record(z.unknown()).default({}),
    rate_limit_per_minute: z.number().int().positive().default(120),
    /** Small by default: incident.io's window semantics are not documented, and a 429 costs a Retry-After wait. */
    rate_limit_burst: z.number().int().positive().default(10),
    timeout_ms: z.number().int().positive().default(10_000),
    /**
     * incident.io groups events into one incident only within a rolling 48 h window: an alert still firing is sent
     * again (same key, current state) once its last delivery here is this old (core/refresh.ts). `0` or false: never.
     */
    refresh_after: refreshAfter,
  })
  .strict();

export type AlertSourceConfig = z.infer<typeof config>;

const hints: Hints = {
  401: "The alert source token is wrong, or belongs to another alert source: each HTTP source has its own secret token (an org API key does not work here). Copy the token from this source's settings in incident.io.",
  403: 'incident.io refused this token for this alert source: check the token belongs to this alert_source_config_id.',
  404: 'No alert source with this alert_source_config_id: check the ID in incident.io (Alerts → Sources).',
};

/** HTTP alert events (`POST /v2/alert_events/http/{id}`), authenticated with that source's own secret token. */
export function createAlertSourceDestination(name: string, c: AlertSourceConfig): Destination {
  const agent = createAgent(c.timeout_ms);
  const url = `${c.base_url}/v2/alert_events/http/${encodeURIComponent(c.alert_source_config_id)}`;
  const headers = { authorization: `Bearer ${c.token}`, 'user-agent': 'tocsin' };
  return {
    name,
    type: 'incident_io_alert_source',
    rateLimit: { perMinute: c.rate_limit_per_minute, burst: Math.min(c.rate_limit_burst, c.rate_limit_per_minute) },
    sendTimeoutMs: c.timeout_ms,
    async send(payload: DeliveryPayload, _previous, context): Promise<SendOutcome> {
      const body = JSON.stringify(buildAlertEvent(payload, c.metadata as JsonObject, context?.ackUrl));
      const outcome = await sendJson(agent, 'POST', url, headers, body, c.timeout_ms);
      const result = classify(outcome, Date.now(), hints);
      if (result.kind === 'delivered') result.detail = `${payload.status} event accepted`;
      return result;
    },
    close: () => agent.close(),
  };
}

export const alertSourceDestination: DestinationType<AlertSourceConfig> = {
  type: 'incident_io_alert_source',
  config,
  create: async (name, c) => createAlertSourceDestination(name, c),
  target: (c) => `${c.base_url}/v2/alert_events/http/${c.alert_source_config_id}`,
};
