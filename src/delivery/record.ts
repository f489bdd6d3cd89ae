import type { SendOutcome } from '../destinations/types.ts';
import { finishDelivery, newerPendingExists, recordAttempt, saveDestinationState } from '../storage/deliveries-repo.ts';
import type { DeliveryRow, Tx } from '../storage/schema.ts';
import { planRetry, type BackoffOptions, type RetryAfter } from './retry-policy.ts';

export interface RecordInput {
  destination: string;
  row: DeliveryRow;
  outcome: SendOutcome;
  retryAfter: RetryAfter | undefined;
  started: number;
  now: number;
  latencyMs: number;
  maxRetryAgeMs: number;
  backoff: BackoffOptions;
  random: () => number;
}

/** The attempt, its outcome and any destination state, written in the caller's transaction. Returns the row's new status. */
export async function recordOutcome(tx: Tx, i: RecordInput): Promise<DeliveryRow['status']> {
  const { destination: name, row, outcome, now } = i;
  await recordAttempt(tx, {
    delivery_id: row.id,
    destination: name,
    at: i.started,
    outcome: outcome.kind,
    status_code: outcome.statusCode ?? null,
    latency_ms: i.latencyMs,
    request_id: outcome.requestId ?? null,
    error: outcome.kind === 'delivered' ? null : outcome.error,
  });
  const common = { now, statusCode: outcome.statusCode, requestId: outcome.requestId, responseExcerpt: outcome.responseExcerpt, latencyMs: i.latencyMs };
  switch (outcome.kind) {
    case 'delivered':
      if (outcome.state) await saveDestinationState(tx, name, row.alert_id, row.episode, JSON.stringify(outcome.state), now);
      await finishDelivery(tx, row.id, { ...common, status: 'delivered', error: null, hint: outcome.detail ?? null });
      return 'delivered';
    case 'failed':
      await finishDelivery(tx, row.id, { ...common, status: 'dead', error: outcome.error, hint: outcome.hint });
      return 'dead';
    case 'retry': {
      if (outcome.state) await saveDestinationState(tx, name, row.alert_id, row.episode, JSON.stringify(outcome.state), now);
      const plan = planRetry({ now, createdAt: row.created_at, attempts: row.attempts, retryAfter: i.retryAfter, maxRetryAgeMs: i.maxRetryAgeMs, backoff: i.backoff, random: i.random });
      if (plan.kind === 'give_up') {
        await finishDelivery(tx, row.id, { ...common, status: 'dead', error: outcome.error, hint: plan.hint });
        return 'dead';
      }
      if (await newerPendingExists(tx, row)) {
        await finishDelivery(tx, row.id, { ...common, status: 'superseded', error: outcome.error, hint: 'a newer state of this alert is queued behind it' });
        return 'superseded';
      }
      await finishDelivery(tx, row.id, { ...common, status: 'pending', nextAttemptAt: plan.at, error: outcome.error, hint: null });
      return 'pending';
    }
  }
}
