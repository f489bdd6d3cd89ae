import type { Clock } from '../domain/clock.ts';
import type { Labels } from '../domain/labels.ts';
import { route } from '../routing/routes.ts';
import { listActiveAlerts, updateAlert } from '../storage/alerts-repo.ts';
import { reconcileOrphans, recordTargets } from '../storage/destinations-repo.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { Routing } from './ingest.ts';
import { enqueueFor, readList } from './outbox.ts';
import { staleAt, timeToLive } from './ttl.ts';

export interface RerouteReport {
  /** Active alerts that reached a destination they now match for the first time. */
  rerouted: number;
  /** Deliveries added for them, by destination. */
  added: Map<string, number>;
  /** Rows kept for destinations the config no longer has, by destination. */
  orphaned: Map<string, number>;
  /** Orphaned rows whose destination is back: pending again. */
  revived: number;
  /** Destinations whose target changed since they last ran: their active alerts were sent to them again. */
  retargeted: Set<string>;
  /** Active alerts whose time to live changed with the config (resolve_after added, changed or removed). */
  ttlChanged: number;
}

const BATCH = 500;

/**
 * At start and on reload (and when a destination name now points at another target, e.g. a live config started on
 * the sandbox's database, those alerts are sent to it again): every active alert is routed again against the config now in force, and a destination it
 * now matches but never got receives its current state (nothing is taken away before the episode ends). Deliveries
 * for destinations that are gone become `orphaned`; those whose destination came back are pending again.
 */
export async function rerouteActive(commits: GroupCommit, clock: Clock, routing: Routing, targets: ReadonlyMap<string, string> = new Map()): Promise<RerouteReport> {
  const retargeted = await commits.run((tx) => recordTargets(tx, targets, clock.now()));
  const report: RerouteReport = { rerouted: 0, added: new Map(), orphaned: new Map(), revived: 0, retargeted, ttlChanged: 0 };
  let after = '';
  for (;;) {
    const done = await commits.run(async (tx) => {
      const now = clock.now();
      const rows = await listActiveAlerts(tx, after, BATCH);
      for (const row of rows) {
        const before = readList(row.routed_to);
        const labels = JSON.parse(row.labels) as Labels;
        // The time to live the config in force gives it (a changed resolve_after applies to alerts already open).
        const stale = staleAt(row.state, row.last_event_at, timeToLive(routing, row.source, labels, row.event_ttl_ms));
        if (stale !== row.stale_at) {
          await updateAlert(tx, row.id, { stale_at: stale });
          report.ttlChanged++;
        }
        const routed = row.route_override ? [row.route_override] : route(routing.routes, labels);
        const added = routed.filter((d) => !before.includes(d) && routing.destinations.has(d));
        // A destination now pointing at another target has never seen this alert there.
        const resend = before.filter((d) => retargeted.has(d));
        if (!added.length && !resend.length) continue;
        const routedTo = JSON.stringify([...before, ...added]);
        if (added.length) await updateAlert(tx, row.id, { routed_to: routedTo });
        await enqueueFor(tx, { ...row, routed_to: routedTo }, [...resend, ...added], now, routing.destinations);
        report.rerouted++;
        for (const d of [...resend, ...added]) report.added.set(d, (report.added.get(d) ?? 0) + 1);
      }
      after = rows.at(-1)?.id ?? after;
      return rows.length < BATCH;
    });
    if (done) break;
  }
  const { orphaned, revived } = await commits.run((tx) => reconcileOrphans(tx, [...routing.destinations], clock.now()));
  report.orphaned = orphaned;
  report.revived = revived;
  return report;
}
