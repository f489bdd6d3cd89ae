import { isPostgres } from '../storage/dialect.ts';
import { listLeases } from '../storage/leases-repo.ts';
import type { Db } from '../storage/schema.ts';
import { formatHolder, type HolderId } from './holder.ts';

export interface ClusterView {
  /** This instance, as it appears in `holder`. */
  instance: string;
  storage: 'sqlite' | 'postgres';
  /** Every lease: who acts for it (a destination's sender) and until when, without renewal. */
  leases: { name: string; holder: string; epoch: number; expires_at: string | null; held_here: boolean }[];
}

/** `GET /api/v1/cluster`: which instance sends for which destination, read from the database every instance shares. */
export async function clusterView(db: Db, me: HolderId): Promise<ClusterView> {
  const instance = formatHolder(me);
  const leases = await listLeases(db);
  return {
    instance,
    storage: isPostgres(db) ? 'postgres' : 'sqlite',
    leases: leases.map((l) => ({
      name: l.name,
      holder: l.holder,
      epoch: l.epoch,
      // A lease let go on a clean stop expires at 0: nobody holds it.
      expires_at: l.expires_at > 0 ? new Date(l.expires_at).toISOString() : null,
      held_here: l.holder === instance && l.expires_at > Date.now(),
    })),
  };
}
