/**
 * The delivery outcome events a `webhook` destination may subscribe to (`on:`; destinations/outcome-document.ts). They
 * are posted as they are (a `template` shapes alert documents only: it was written for those) and signed like them.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { OUTCOME_EVENTS, type OutcomeDocument } from '../outcome-document.ts';

/** The keys `on` and `destinations` of a webhook destination (spread into its config schema). */
export const outcomeSubscriptionKeys = {
  /** Outcomes of deliveries to other destinations to post here, besides whatever alerts routes send here. */
  on: z
    .array(z.enum(OUTCOME_EVENTS, { errorMap: () => ({ message: `must be one of ${OUTCOME_EVENTS.join(', ')}` }) }))
    .min(1, `list at least one of ${OUTCOME_EVENTS.join(', ')}`)
    .optional(),
  /** Only outcomes of deliveries to these destinations (default: every other destination). */
  destinations: z.array(z.string().min(1)).min(1, 'list at least one destination name, or leave the key out for all').optional(),
};

/** `destinations:` means nothing without `on:`. */
export const subscriptionProblem = (c: { on?: readonly string[] | undefined; destinations?: readonly string[] | undefined }): string | undefined =>
  c.destinations !== undefined && c.on === undefined ? 'destinations filters the outcomes listed in on: add on: [delivery.delivered, delivery.dead]' : undefined;

/** The `webhook-id` of one outcome: the same on every attempt to post it, another for a later outcome of the same delivery. */
export function outcomeMessageId(d: OutcomeDocument): string {
  const h = createHash('sha256').update(`outcome\n${d.delivery_id}\n${d.type}\n${d.attempts}\n${d.at}`).digest('base64url');
  return `msg_${h.slice(0, 27)}`;
}

/**
 * check-config warnings about `on:`: a `destinations:` name that is not configured (or is the webhook itself, whose
 * own deliveries are never reported), and a subscriber that also gets every alert because the config has no routes.
 */
export function subscriptionWarnings(destinations: ReadonlyMap<string, unknown>, explicitRoutes: boolean): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  for (const [name, d] of destinations) {
    const c = (d as { type?: string; config?: { on?: string[]; destinations?: string[] } }).config;
    if ((d as { type?: string }).type !== 'webhook' || !c?.on?.length) continue;
    (c.destinations ?? []).forEach((other, i) => {
      if (other === name) out.push({ path: `destinations.${name}.destinations[${i}]`, message: 'a webhook never gets outcomes of its own deliveries: this entry selects nothing' });
      else if (!destinations.has(other)) out.push({ path: `destinations.${name}.destinations[${i}]`, message: `no destination "${other}" is configured: no outcome comes from it` });
    });
    if (!explicitRoutes) out.push({ path: `destinations.${name}.on`, message: 'without routes: every alert goes to every destination, this one too; add routes if it should get delivery outcomes only' });
  }
  return out;
}
