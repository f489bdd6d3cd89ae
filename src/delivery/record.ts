import type { DeliveryPayload, SendOutcome } from '../destinations/types.ts';
import { finishDelivery, newerPendingExists, recordAttempt, saveDestinationState } from '../storage/deliveries-repo.ts';
import { forgetSent, markSent } from '../storage/refresh-repo.ts';
import type { DeliveryRow, Tx } from '../storage/schema.ts';
import { enqueueOutcomeEvents, type OutcomeSubscriber } from './outcome-events.ts';
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
  /** The row's payload, parsed (the worker has it); parsed here when left out. */
  payload?: DeliveryPayload;
  /** Webhooks subscribed to delivery outcomes (outcome-events.ts): they get an event row in this transaction. */
  subscribers?: readonly OutcomeSubscriber[];
  /**
   * The destination can re-send what still fires (it has `refresh_after`, on or off): a delivered firing state records
   * when. Elsewhere nothing would ever read the row (the alert's resolve still clears any left from an earlier config).
   */
  refreshes?: boolean;
}

/**
 * The attempt, its outcome and any destination state, written in the caller's transaction; then what follows from a
 * final outcome in the same commit: the refresh time of the alert there (core/refresh.ts) and the outcome events of
 * subscribed webhooks. Returns the row's new status.
 */
export async function recordOutcome(tx: Tx, i: RecordInput): Promise<DeliveryRow['status']> {
  const { status, hint } = await settle(tx, i);
  if (status !== 'delivered' && status !== 'dead') return status;
  const payload = i.payload ?? (JSON.parse(i.row.payload) as DeliveryPayload);
  if (payload.outcome) return status;
  if (status === 'delivered') {
    if (payload.status === 'resolved') await forgetSent(tx, i.destination, [i.row.alert_id]);
    else if (i.refreshes) await markSent(tx, i.destination, i.row.alert_id, i.now);
  }
  if (i.subscribers?.length) await enqueueOutcomeEvents(tx, i.subscribers, { destination: i.destination, row: i.row, payload, outcome: i.outcome, status, hint, now: i.now });
  return status;
}

type Settled = { status: DeliveryRow['status']; hint: string | null };

async function settle(tx: Tx, i: RecordInput): Promise<Settled> {
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
      return { status: 'delivered', hint: null };
    case 'failed':
      await finishDelivery(tx, row.id, { ...common, status: 'dead', error: outcome.error, hint: outcome.hint });
      return { status: 'dead', hint: outcome.hint };
    case 'retry': {
      if (outcome.state) await saveDestinationState(tx, name, row.alert_id, row.episode, JSON.stringify(outcome.state), now);
      const plan = planRetry({ now, createdAt: row.created_at, attempts: row.attempts, retryAfter: i.retryAfter, maxRetryAgeMs: i.maxRetryAgeMs, backoff: i.backoff, random: i.random });
      if (plan.kind === 'give_up') {
        await finishDelivery(tx, row.id, { ...common, status: 'dead', error: outcome.error, hint: plan.hint });
        return { status: 'dead', hint: plan.hint };
      }
      if (await newerPendingExists(tx, row)) {
        await finishDelivery(tx, row.id, { ...common, status: 'superseded', error: outcome.error, hint: 'a newer state of this alert is queued behind it' });
        return { status: 'superseded', hint: null };
      }
      await finishDelivery(tx, row.id, { ...common, status: 'pending', nextAttemptAt: plan.at, error: outcome.error, hint: null });
      return { status: 'pending', hint: null };
    }
  }
}
