import { decodeReason } from '../mute/decide.ts';
import type { AlertRow, DeliveryRow, EscalationRow, TransitionRow } from '../storage/schema.ts';

const iso = (ms: number | null) => (ms == null ? null : new Date(Number(ms)).toISOString());

/** API shapes: snake_case, ISO times, JSON columns parsed. Nothing secret is stored, so nothing to strip. */
export function alertView(a: AlertRow) {
  const routedTo = JSON.parse(a.routed_to) as string[];
  return {
    id: a.id,
    source: a.source,
    dedup_key: a.dedup_key,
    incident_io_dedup_key: a.external_key,
    state: a.state,
    episode: a.episode,
    title: a.title,
    description: a.description,
    severity: a.severity,
    metadata: JSON.parse(a.metadata) as unknown,
    source_url: a.source_url,
    routed_to: routedTo,
    unrouted: routedTo.length === 0,
    /** What routes and silences match on (domain/labels.ts). */
    labels: JSON.parse(a.labels) as Record<string, string[]>,
    event_count: a.event_count,
    created_at: iso(a.created_at),
    updated_at: iso(a.updated_at),
    last_event_at: iso(a.last_event_at),
    resolved_at: iso(a.resolved_at),
    acknowledged_at: iso(a.acknowledged_at),
  };
}

/** An escalation's later step: pending until due, then fired, or cancelled (acknowledged, resolved, a new episode). */
export function escalationView(e: EscalationRow) {
  return {
    episode: e.episode,
    step: e.step,
    due_at: new Date(e.due_at).toISOString(),
    /** How long after the episode fired (the route's `after`): scheduled when it fired, due this much later. */
    after_ms: e.due_at - e.created_at,
    to: JSON.parse(e.destinations) as string[],
    status: e.status,
    reason: e.reason,
  };
}

export function transitionView(t: TransitionRow) {
  return { id: t.id, episode: t.episode, kind: t.kind, from: t.from_state, to: t.to_state, actor: t.actor, content: JSON.parse(t.content) as unknown, at: iso(t.at) };
}

export function deliveryView(d: DeliveryRow) {
  const payload = JSON.parse(d.payload) as { status?: string; outcome?: { type: string; delivery_id: number; alert_id: string } };
  return {
    id: d.id,
    destination: d.destination,
    alert_id: d.alert_id,
    /**
     * A delivery outcome event (a webhook's `on:`) is not an alert's: its `alert_id` names the outcome
     * (`outcome:<delivery>:<attempt>`). This says which delivery, and whose alert, it reports on.
     */
    reports_on: payload.outcome ? { event: payload.outcome.type, delivery_id: payload.outcome.delivery_id, alert_id: payload.outcome.alert_id } : null,
    episode: d.episode,
    status: d.status,
    sends: payload.status,
    attempts: d.attempts,
    next_attempt_at: d.status === 'pending' ? iso(d.next_attempt_at) : null,
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    request_id: d.request_id,
    response_excerpt: d.response_excerpt,
    hint: d.hint,
    latency_ms: d.latency_ms,
    /** Why a `muted` row waits (or waited): `{ by: 'silence', silence_id }`, `{ by: 'inhibition', inhibited_by }`, `{ by: 'interval', … }`. */
    muted_by: d.muted_by ? (decodeReason(d.muted_by) ?? null) : null,
    created_at: iso(d.created_at),
    updated_at: iso(d.updated_at),
    delivered_at: iso(d.delivered_at),
  };
}
