/** What the cluster tests check in the emulator's records: pure functions over its alerts and request log. */

/** What the senders last said of each key (`app:<dedup_key>`), as accepted by tocsin. */
export type Model = Map<string, { state: 'firing' | 'resolved'; title: string }>;

export interface Event {
  key: string;
  status: string;
  title: string;
  at: number;
}

/** Alert events incident.io accepted (202), in the order it received them. */
export function acceptedEvents(requests: any[]): Event[] {
  return requests
    .filter((r) => r.status === 202 && r.body?.deduplication_key)
    .map((r) => ({ key: r.body.deduplication_key as string, status: r.body.status as string, title: r.body.title as string, at: Date.parse(r.received_at) }));
}

/**
 * Keys where incident.io saw what the senders did not say: a firing alert missing or with an older title, or a
 * resolved one still firing. A key resolved before its first send may be absent (nothing to tell incident.io).
 */
export function mismatches(model: Model, alerts: any[]): { key: string; want: string; got: string }[] {
  const latest = new Map<string, any>();
  for (const a of alerts) latest.set(a.deduplication_key, a);
  const out: { key: string; want: string; got: string }[] = [];
  for (const [key, want] of model) {
    const got = latest.get(key);
    if (want.state === 'firing') {
      if (!got || got.status !== 'firing' || got.title !== want.title) out.push({ key, want: `firing "${want.title}"`, got: got ? `${got.status} "${got.title}"` : 'nothing' });
    } else if (got && got.status !== 'resolved') out.push({ key, want: 'resolved', got: got.status });
  }
  return out;
}

/** Keys that fired again after a resolve: incident.io would open a second alert for them. */
export function doubledKeys(events: Event[]): string[] {
  const resolved = new Set<string>();
  const out = new Set<string>();
  for (const e of events) {
    if (e.status === 'resolved') resolved.add(e.key);
    else if (resolved.has(e.key)) out.add(e.key);
  }
  return [...out];
}

/** The most events in any window of `ms` (a sliding window over the receive times). */
export function deliveredPerWindow(events: Event[], ms: number): number {
  const at = events.map((e) => e.at).sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i]! - at[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
