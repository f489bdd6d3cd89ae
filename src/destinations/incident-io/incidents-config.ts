import { z } from 'zod';

const nameOrId = z.string().trim().min(1, 'give the severity name (e.g. Critical) or its id');

/**
 * `destinations.<name>` for `type: incident_io_incidents`. Names of severities and statuses are checked against
 * incident.io when the destination is built (start and reload), not here: this schema cannot see the remote.
 */
export const incidentsConfig = z
  .object({
    type: z.literal('incident_io_incidents'),
    api_key: z
      .string({ required_error: 'an incident.io org API key (Settings → API keys) that may create and edit incidents and view severities and statuses' })
      .min(1),
    base_url: z.string().url().default('https://api.incident.io').transform((u) => u.replace(/\/+$/, '')),
    visibility: z.enum(['public', 'private']).default('public'),
    /** `test` declares every incident as a test incident: a dry run that pages nobody. */
    mode: z.enum(['standard', 'test']).default('standard'),
    severity: z
      .object(
        { critical: nameOrId.optional(), error: nameOrId.optional(), warning: nameOrId.optional(), info: nameOrId.optional() },
        { required_error: 'map tocsin severities to your incident.io severities, e.g. severity: { critical: Critical, error: Major, warning: Minor }' },
      )
      .strict()
      .refine((m) => Object.values(m).some((v) => v !== undefined), 'map at least one of critical, error, warning, info to an incident.io severity'),
    /** Used by on_resolve: close. When left out, the organisation's one status in the `closed` category. */
    closed_status: z.string().trim().min(1).optional(),
    on_resolve: z.enum(['close', 'summary_only', 'nothing']).default('close'),
    rate_limit_per_minute: z.number().int().positive().default(1200),
    /** incident.io's bucket bursts to 1200, but the org-wide limits are shared with other keys: stay gentle. */
    rate_limit_burst: z.number().int().positive().default(50),
    timeout_ms: z.number().int().positive().default(10_000),
  })
  .strict();

export type IncidentsConfig = z.infer<typeof incidentsConfig>;
