import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DestinationConfig } from '../config/load.ts';
import { SECRET_KEYS } from '../config/expand.ts';
import { outcomeJson, testConnection } from '../destinations/connection-test.ts';
import { DestinationConfigError } from '../destinations/registry.ts';
import { ApiError, badRequest, notFound } from './errors.ts';
import type { Gateway } from './gateway.ts';

/** What stands in for a secret: says it is set, never what it is (nor its length). */
export const MASK = '•••••• (set)';
const SECRET_KEY = new Set<string>([...SECRET_KEYS, 'secret']);
/** A key a future destination type might add without listing it in SECRET_KEYS: masked all the same. */
const SECRET_LOOKING = /token|secret|password|api_?key|credential|private/i;
const isSecretKey = (key: string) => SECRET_KEY.has(key) || SECRET_LOOKING.test(key);

/**
 * A destination's settings as configured, secrets masked. A URL that is a secret (a webhook's: it often carries its
 * receiver's credential) keeps only its origin, so the page still tells which host it goes to.
 */
export function maskedConfig(value: unknown, key = ''): unknown {
  if (isSecretKey(key) && value !== undefined && value !== null && value !== '') {
    if (/url$/.test(key) && typeof value === 'string' && URL.canParse(value)) return `${new URL(value).origin}/${MASK}`;
    return MASK;
  }
  if (Array.isArray(value)) return value.map((v) => maskedConfig(v));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskedConfig(v, k)]));
}

export const destinationView = (d: DestinationConfig) => ({
  name: d.name,
  type: d.type,
  config: maskedConfig(d.config),
  ...(d.storm ? { storm: { enabled: d.storm.enabled, after_ms: d.storm.afterMs, update_interval_ms: d.storm.updateIntervalMs, group_by: d.storm.groupBy } } : {}),
});

const testBody = z.object({ fire: z.boolean().default(false) }).strict();

/**
 * `POST /api/v1/destinations/:name/test`: `tocsin test-connection` through the API (destinations/connection-test.ts),
 * run by this instance with the config in force. The answer is 200 whether the destination accepted the test or not:
 * the test ran; `ok` says how it went.
 */
export function registerDestinationRoutes(api: FastifyInstance, gw: Gateway): void {
  api.post<{ Params: { name: string } }>('/destinations/:name/test', async (request) => {
    const d = gw.config().destinations.get(request.params.name);
    if (!d) throw notFound(`destination ${request.params.name}`);
    const b = testBody.safeParse(request.body ?? {});
    if (!b.success) throw badRequest(b.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })));
    try {
      const r = await testConnection(d, { fire: b.data.fire, logger: request.log as never });
      request.log.info({ destination: d.name, ok: r.ok }, 'connection test');
      return { destination: d.name, type: d.type, ok: r.ok, key: r.key, steps: r.steps.map((s) => ({ status: s.status, ...outcomeJson(s.outcome) })), summary: r.summary };
    } catch (e) {
      if (e instanceof DestinationConfigError) throw new ApiError(422, 'destination_config', `destinations.${d.name}${e.path ? `.${e.path}` : ''}: ${e.message}`);
      throw e;
    }
  });
}
