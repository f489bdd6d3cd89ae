/**
 * Alertmanager's `endsAt` on a notified alert. Alertmanager itself never exposes a firing alert's end: its webhook
 * sends the zero time (`0001-01-01T00:00:00Z`) until the alert is resolved, and derives `status` from `endsAt`
 * (resolved once it has passed). So "firing" with a real `endsAt` already past at receipt means a sender replayed a
 * stale alert, or a resolve it should have sent was missed: the alert is over, as Alertmanager would say.
 */

/** `endsAt` as epoch ms; undefined when absent, unparsable, or the zero time (any instant before 1970). */
export function endsAtMs(endsAt: string | undefined): number | undefined {
  if (endsAt === undefined) return undefined;
  const ms = Date.parse(endsAt);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** A firing alert whose stated end passed before `receivedAt` (the gateway's clock): to be read as resolved. */
export function endedBeforeReceipt(status: 'firing' | 'resolved', endsAt: string | undefined, receivedAt: number | undefined): boolean {
  if (status !== 'firing' || receivedAt === undefined) return false;
  const end = endsAtMs(endsAt);
  return end !== undefined && end < receivedAt;
}
