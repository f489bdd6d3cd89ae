import type { DeliveryPayload } from '../src/destinations/types.ts';

/** A delivery payload for destination unit tests: a firing "Disk full" of source `app`, key `k`, with `over` on top. */
export const deliveryPayload = (over: Partial<DeliveryPayload> = {}): DeliveryPayload => ({
  alertId: '01J',
  source: 'app',
  dedupKey: 'k',
  externalKey: 'app:k',
  episode: 1,
  status: 'firing',
  title: 'Disk full',
  metadata: {},
  at: 0,
  ...over,
});
