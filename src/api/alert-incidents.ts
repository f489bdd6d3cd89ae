import { loadDestinationState } from '../storage/deliveries-repo.ts';
import type { DeliveryRow, Executor } from '../storage/schema.ts';

export interface DeclaredIncident {
  destination: string;
  episode: number;
  incident_id: string | null;
  reference: string;
  permalink: string | null;
}

/**
 * The incidents an alert's episodes declared, from what incidents destinations remembered of each send (their
 * destination state: `reference`, and `permalink` when incident.io gave one). Alert-source destinations remember
 * nothing, so they add none.
 */
export async function incidentsOf(db: Executor, deliveries: readonly Pick<DeliveryRow, 'destination' | 'alert_id' | 'episode'>[]): Promise<DeclaredIncident[]> {
  const seen = new Map<string, Pick<DeliveryRow, 'destination' | 'alert_id' | 'episode'>>();
  for (const d of deliveries) seen.set(`${d.destination}\u0000${d.episode}`, d);
  const out: DeclaredIncident[] = [];
  for (const d of seen.values()) {
    const raw = await loadDestinationState(db, d.destination, d.alert_id, d.episode);
    if (!raw) continue;
    const s = JSON.parse(raw) as Record<string, unknown>;
    if (typeof s['reference'] !== 'string') continue;
    out.push({
      destination: d.destination,
      episode: d.episode,
      incident_id: typeof s['incident_id'] === 'string' ? s['incident_id'] : null,
      reference: s['reference'],
      permalink: typeof s['permalink'] === 'string' ? s['permalink'] : null,
    });
  }
  return out.sort((a, b) => a.episode - b.episode || a.destination.localeCompare(b.destination));
}
