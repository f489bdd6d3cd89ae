/**
 * A destination's connection test, shared by `tocsin test-connection` and `POST /api/v1/destinations/:name/test`:
 * proves URL, credentials and reachability before a real alert depends on them. On an alert source the default is a
 * lone `resolved` event with the stable test key: the same endpoint and token as a real alert, yet nothing a route
 * in incident.io could page on. `fire` does the full firing → resolved round trip.
 */
import type { Logger } from 'pino';
import type { DestinationConfig } from '../config/load.ts';
import { destinationTypes } from './registry.ts';
import type { DeliveryPayload, SendOutcome } from './types.ts';

/** Only an alert source can prove itself with a resolve alone; an incident needs declaring before it can close. */
const RESOLVE_ONLY_TYPES = new Set(['incident_io_alert_source']);

export interface ConnectionTest {
  ok: boolean;
  key: string;
  resolveOnly: boolean;
  steps: { status: 'firing' | 'resolved'; outcome: SendOutcome }[];
  summary: string;
}

/** Throws DestinationConfigError when the destination cannot even be built (e.g. a severity incident.io lacks). */
export async function testConnection(d: DestinationConfig, opts: { fire: boolean; logger: Logger; onStep?: (status: 'firing' | 'resolved', o: SendOutcome) => void }): Promise<ConnectionTest> {
  const destination = await destinationTypes[d.type]!.create(d.name, d.config, { logger: opts.logger });
  const key = `tocsin-connection-test-${d.name}`;
  const base: DeliveryPayload = {
    alertId: key,
    source: 'tocsin',
    dedupKey: key,
    externalKey: key,
    episode: 1,
    status: 'firing',
    title: `tocsin connection test (${d.name})`,
    description: 'Sent by `tocsin test-connection`; resolved straight away. Safe to ignore.',
    metadata: { tocsin_test: true },
    severity: 'info',
    at: Date.now(),
    test: true,
  };
  const resolveOnly = RESOLVE_ONLY_TYPES.has(d.type) && !opts.fire;
  const steps: ConnectionTest['steps'] = [];
  let state;
  try {
    for (const status of resolveOnly ? (['resolved'] as const) : (['firing', 'resolved'] as const)) {
      const outcome = await destination.send({ ...base, status }, state);
      steps.push({ status, outcome });
      opts.onStep?.(status, outcome);
      if (outcome.kind === 'delivered') state = outcome.state;
      if (outcome.kind !== 'delivered') break;
    }
  } finally {
    await destination.close?.();
  }
  const ok = steps.every((s) => s.outcome.kind === 'delivered');
  const reference = (state as { reference?: unknown } | undefined)?.reference;
  const name = d.name;
  const summary = !ok
    ? `destination "${name}" did not accept the test ${resolveOnly ? 'event' : 'alert'}`
    : typeof reference === 'string'
      ? `destination "${name}" works (incident ${reference})`
      : resolveOnly
        ? `destination "${name}" works: URL, token and reachability checked with a resolved event for key ${key}; no alert was raised`
        : `destination "${name}" works (deduplication key ${key})`;
  return { ok, key, resolveOnly, steps, summary };
}

/** One step as JSON (the CLI's --json and the API answer the same shape). */
export const outcomeJson = (o: SendOutcome) => ({
  outcome: o.kind,
  status_code: o.statusCode ?? null,
  request_id: o.requestId ?? null,
  ...(o.kind === 'delivered' ? { detail: o.detail ?? null } : { error: o.error }),
  ...(o.kind === 'failed' ? { hint: o.hint } : {}),
  ...(o.kind === 'retry' && o.retryAfterMs ? { retry_after_ms: o.retryAfterMs } : {}),
});
