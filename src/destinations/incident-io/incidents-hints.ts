/**
 * What a person reading a dead letter of the incidents destination should do, per operation: a 403 means a
 * different missing permission when tocsin creates an incident than when it closes one.
 */
import type { SendOutcome } from '../types.ts';
import type { Hints } from './classify.ts';

export type Operation = 'create' | 'close' | 'read' | 'summary';

const INVALID_KEY =
  'The API key is invalid or has been revoked: create an org API key in incident.io (Settings → API keys) that may create and edit incidents, put it in api_key, and reload tocsin.';

export function hintsFor(op: Operation, reference = 'the incident'): Hints {
  const gone =
    op === 'create'
      ? 'incident.io answered 404 to POST /v2/incidents: check that base_url is the incident.io API (https://api.incident.io).'
      : `${reference} no longer exists in incident.io (deleted, or private and hidden from this API key): there is nothing left to update.`;
  const forbidden: Record<Operation, string> = {
    create: 'The API key lacks the permission to create incidents (incidents.create): give the key "Create incidents" in incident.io (Settings → API keys), then retry this delivery.',
    close: `The API key may not close ${reference}: it needs the permission to edit incidents, and to close straight from an active status it also needs "Close incidents by opting out of post-incident flow". Add them to the key in incident.io (Settings → API keys), or use on_resolve: summary_only, then retry this delivery.`,
    read: `The API key lacks the permission to view incidents (incidents.view), which on_resolve: summary_only needs to read ${reference}'s summary before adding to it.`,
    summary: `The API key lacks the permission to edit incidents, needed to add the resolution to ${reference}'s summary: add it to the key in incident.io (Settings → API keys), then retry this delivery.`,
  };
  return { 401: INVALID_KEY, 403: forbidden[op], 404: gone };
}

/** A 422 says which field; these add what tocsin knows about why that field may be wrong. */
export function explain422(outcome: SendOutcome, op: Operation, reference: string, closedStatus?: string): SendOutcome {
  if (outcome.kind !== 'failed' || outcome.statusCode !== 422) return outcome;
  if (/severity_id/.test(outcome.error)) {
    return {
      ...outcome,
      hint: `${outcome.hint} tocsin maps severity names to ids when it starts or reloads: if severities changed in incident.io since, reload tocsin (SIGHUP) and retry this delivery.`,
    };
  }
  if (op === 'close' && /incident_status_id/.test(outcome.error)) {
    return {
      ...outcome,
      hint: `incident.io would not move ${reference} to "${closedStatus ?? 'the closed status'}" from its current status: a responder may have declined, merged or closed it already. Check it in incident.io; there is nothing more for tocsin to do.`,
    };
  }
  return outcome;
}
