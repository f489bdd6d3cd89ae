import type { AlertEvent, JsonObject } from '../domain/alert.ts';
import { severityRank } from '../domain/alert.ts';
import type { Clock } from '../domain/clock.ts';
import { externalDedupKey } from '../domain/identity.ts';
import { contentOf, decide, type IngestResultKind } from '../domain/lifecycle.ts';
import type { DeliveryPayload } from '../destinations/types.ts';
import { route, type Route } from '../routing/routes.ts';
import { findAlertsByIdentity, insertAlert, insertTransition, touchAlert, updateAlert } from '../storage/alerts-repo.ts';
import { enqueueDelivery, type EnqueueResult } from '../storage/deliveries-repo.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { AlertRow, Tx } from '../storage/schema.ts';

export interface AlertResult {
  /** tocsin's alert id; null when nothing was stored (a resolve for an alert never seen firing). */
  id: string | null;
  dedup_key: string;
  result: IngestResultKind;
}

export type IngestOutcome = { ok: true; results: AlertResult[]; enqueued: Set<string> } | { ok: false; code: 'unknown_destination'; message: string };

export interface IngestDeps {
  commits: GroupCommit;
  clock: Clock;
  newId: () => string;
  /** Read at each request, so a config reload takes effect for the next alert. */
  routing: () => { routes: Route[]; destinations: ReadonlySet<string> };
  observe?: (source: string, result: IngestResultKind, enqueue: EnqueueResult[]) => void;
}

export function toPayload(row: AlertRow, status: 'firing' | 'resolved', at: number): DeliveryPayload {
  const p: DeliveryPayload = {
    alertId: row.id,
    source: row.source,
    dedupKey: row.dedup_key,
    externalKey: row.external_key,
    episode: row.episode,
    status,
    title: row.title,
    metadata: JSON.parse(row.metadata) as JsonObject,
    at,
  };
  if (row.description !== null) p.description = row.description;
  if (row.severity !== null) p.severity = row.severity as NonNullable<DeliveryPayload['severity']>;
  if (row.source_url !== null) p.sourceUrl = row.source_url;
  return p;
}

/** Puts one delivery per destination in the outbox, in the same transaction as the state change. */
export async function enqueueFor(tx: Tx, row: AlertRow, destinations: readonly string[], now: number, newAlert = false): Promise<EnqueueResult[]> {
  const status = row.state === 'resolved' ? 'resolved' : 'firing';
  const payload = JSON.stringify(toPayload(row, status, now));
  const out: EnqueueResult[] = [];
  for (const destination of destinations) {
    out.push(
      await enqueueDelivery(tx, {
        destination,
        alertId: row.id,
        episode: row.episode,
        payload,
        status,
        priority: severityRank(row.severity as never),
        now,
        newAlert,
      }),
    );
  }
  return out;
}

interface Applied {
  result: AlertResult;
  source: string;
  enqueue: EnqueueResult[];
  destinations: readonly string[];
}

/** The alerts a batch touches, by `source \0 dedup_key`; kept current as the batch is applied in order. */
type Known = Map<string, AlertRow>;
const identity = (source: string, dedupKey: string) => `${source}\0${dedupKey}`;

async function loadKnown(tx: Tx, events: readonly AlertEvent[]): Promise<Known> {
  const bySource = new Map<string, string[]>();
  for (const e of events) bySource.set(e.source, [...(bySource.get(e.source) ?? []), e.dedupKey]);
  const known: Known = new Map();
  for (const [source, keys] of bySource) for (const row of await findAlertsByIdentity(tx, source, keys)) known.set(identity(row.source, row.dedup_key), row);
  return known;
}

async function applyEvent(tx: Tx, deps: IngestDeps, known: Known, event: AlertEvent, override: string | undefined, now: number): Promise<Applied> {
  const current = known.get(identity(event.source, event.dedupKey));
  const decision = decide(current ? { state: current.state, episode: current.episode, contentHash: current.content_hash } : null, event);
  if (decision.kind === 'unchanged') {
    if (current) {
      await touchAlert(tx, current.id, now);
      known.set(identity(event.source, event.dedupKey), { ...current, last_event_at: now, event_count: current.event_count + 1 });
    }
    return { result: { id: current?.id ?? null, dedup_key: event.dedupKey, result: 'unchanged' }, source: event.source, enqueue: [], destinations: [] };
  }
  const content = contentOf(event);
  const { routes } = deps.routing();
  const destinations = override ? [override] : route(routes, { source: event.source, severity: event.severity, metadata: event.metadata });
  const fields = {
    state: decision.to,
    episode: decision.episode,
    title: content.title,
    description: content.description ?? null,
    severity: content.severity ?? null,
    metadata: JSON.stringify(content.metadata),
    source_url: content.sourceUrl ?? null,
    content_hash: decision.contentHash,
    routed_to: JSON.stringify(destinations),
    updated_at: now,
    last_event_at: now,
  };
  let row: AlertRow;
  if (!current) {
    row = {
      id: deps.newId(),
      source: event.source,
      dedup_key: event.dedupKey,
      external_key: externalDedupKey(event.source, event.dedupKey),
      event_count: 1,
      created_at: now,
      resolved_at: null,
      acknowledged_at: null,
      ...fields,
    };
    await insertAlert(tx, row);
  } else {
    const lifecycle =
      decision.transition === 'resolved'
        ? { resolved_at: now }
        : decision.transition === 'refired'
          ? { resolved_at: null, acknowledged_at: null }
          : {};
    row = { ...current, ...fields, ...lifecycle, event_count: current.event_count + 1 };
    await updateAlert(tx, current.id, { ...fields, ...lifecycle, event_count: row.event_count });
  }
  await insertTransition(tx, {
    alert_id: row.id,
    episode: row.episode,
    kind: decision.transition,
    from_state: decision.from,
    to_state: decision.to,
    actor: event.source,
    content: JSON.stringify(content),
    at: now,
  });
  known.set(identity(event.source, event.dedupKey), row);
  const enqueue = decision.deliver ? await enqueueFor(tx, row, destinations, now, !current) : [];
  return { result: { id: row.id, dedup_key: event.dedupKey, result: decision.kind }, source: event.source, enqueue, destinations };
}

/**
 * normalize → identity → lifecycle → route → outbox, for every event of one request, in one transaction. The
 * caller answers 2xx only after this resolves: by then the state change and its deliveries are committed.
 */
export async function ingest(deps: IngestDeps, events: AlertEvent[], destination?: string): Promise<IngestOutcome> {
  if (destination !== undefined && !deps.routing().destinations.has(destination)) {
    return {
      ok: false,
      code: 'unknown_destination',
      message: `unknown destination "${destination}": only destinations named in the config can be chosen (${[...deps.routing().destinations].join(', ') || 'none configured'})`,
    };
  }
  const applied = await deps.commits.run(async (tx) => {
    const now = deps.clock.now();
    const known = await loadKnown(tx, events);
    const out: Applied[] = [];
    for (const e of events) out.push(await applyEvent(tx, deps, known, e, destination, now));
    return out;
  });
  // Observed only once committed: a shared transaction that failed and was re-run must not count twice.
  const enqueued = new Set<string>();
  for (const a of applied) {
    deps.observe?.(a.source, a.result.result, a.enqueue);
    for (const d of a.destinations) enqueued.add(d);
  }
  return { ok: true, results: applied.map((a) => a.result), enqueued };
}
