import type { AlertEvent } from '../domain/alert.ts';
import { findAlertsByIdentity, updateAlert } from '../storage/alerts-repo.ts';
import type { InsertBuffer } from '../storage/insert-buffer.ts';
import type { AlertRow, Tx } from '../storage/schema.ts';

/** The alerts a batch touches, by `source \0 dedup_key`; kept current as the batch is applied in order. */
export type Known = Map<string, AlertRow>;
export const identity = (source: string, dedupKey: string) => `${source}\0${dedupKey}`;

export async function loadKnown(tx: Tx, held: InsertBuffer, events: readonly AlertEvent[]): Promise<Known> {
  const bySource = new Map<string, string[]>();
  for (const e of events) {
    const keys = bySource.get(e.source);
    const all = e.aliases?.length ? [e.dedupKey, ...e.aliases] : [e.dedupKey];
    if (keys) keys.push(...all);
    else bySource.set(e.source, all);
  }
  const known: Known = new Map();
  for (const [source, keys] of bySource) for (const row of await findAlertsByIdentity(tx, source, keys, held)) known.set(identity(row.source, row.dedup_key), row);
  return known;
}

/** The stored alert an event is about: by its key, else by an alias (then re-keyed, keeping its incident.io key). */
export async function findCurrent(tx: Tx, held: InsertBuffer, known: Known, event: AlertEvent): Promise<AlertRow | undefined> {
  const current = known.get(identity(event.source, event.dedupKey));
  if (current || !event.aliases?.length) return current;
  for (const alias of event.aliases) {
    const old = known.get(identity(event.source, alias));
    if (!old) continue;
    await updateAlert(tx, old.id, { dedup_key: event.dedupKey }, held);
    known.delete(identity(event.source, alias));
    const rekeyed = { ...old, dedup_key: event.dedupKey };
    known.set(identity(event.source, event.dedupKey), rekeyed);
    return rekeyed;
  }
  return undefined;
}
