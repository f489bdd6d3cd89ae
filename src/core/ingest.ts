import type { AlertEvent } from '../domain/alert.ts';
import type { Clock } from '../domain/clock.ts';
import { externalDedupKey } from '../domain/identity.ts';
import { stringifyWith } from '../domain/json.ts';
import { labelsOf } from '../domain/labels.ts';
import { contentOf, decide, mergeContent, type AlertContent, type IngestResultKind } from '../domain/lifecycle.ts';
import { wellFormedEvent } from '../domain/normalize.ts';
import { escalationSteps, route, type Route } from '../routing/routes.ts';
import { insertAlert, insertTransition, touchAlert, updateAlert } from '../storage/alerts-repo.ts';
import type { EnqueueResult } from '../storage/deliveries-enqueue.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import { cancelEscalations } from '../storage/escalations-repo.ts';
import { InsertBuffer } from '../storage/insert-buffer.ts';
import type { AlertRow, Tx } from '../storage/schema.ts';
import { Batcher } from './batching.ts';
import { findCurrent, identity, loadKnown, type Known } from './known.ts';
import { scheduleEscalations, withOncallWait } from './escalate.ts';
import { enqueueFor, readList } from './outbox.ts';
import { staleAt, timeToLive } from './ttl.ts';

export interface AlertResult {
  /** tocsin's alert id; null when nothing was stored (a resolve for an alert never seen firing). */
  id: string | null;
  dedup_key: string;
  result: IngestResultKind;
}

/** An Alertmanager Watchdog taken as a heartbeat's ping (src/heartbeats/): not stored as an alert. */
export interface HeartbeatResult {
  id: null;
  dedup_key: string;
  result: 'heartbeat';
  heartbeat: string;
}

export interface IngestOutcome {
  ok: true;
  results: (AlertResult | HeartbeatResult)[];
  /** Destinations that got new deliveries: their workers are woken. */
  enqueued: Set<string>;
  /** How many of this request's alerts each of them got (one request past a storm's bound: its summary goes first). */
  queuedTo: Map<string, number>;
  /** Things the sender should know that did not stop the alerts (shown in the response). */
  warnings: string[];
  /** The destination the caller named that is not configured (reported in logs and metrics). */
  unknownDestination?: string;
}

export interface Routing {
  routes: Route[];
  destinations: ReadonlySet<string>;
  /** A source's `resolve_after`, if it has one (core/ttl.ts). */
  sourceResolveAfter?: (source: string) => number | undefined;
}

export interface IngestDeps {
  commits: GroupCommit;
  clock: Clock;
  newId: () => string;
  /** Read at each request, so a config reload takes effect for the next alert. */
  routing: () => Routing;
  /** Called once committed, per alert; `unrouted` when a new episode matched no route. */
  observe?: (source: string, result: IngestResultKind, enqueue: EnqueueResult[], unrouted: AlertRow | undefined) => void;
}

/** What tocsin stored of an alert, as lifecycle content (the base an event is merged onto). */
export function storedContent(row: AlertRow): AlertContent {
  const c: AlertContent = { title: row.title, metadata: JSON.parse(row.metadata) as AlertContent['metadata'] };
  if (row.description !== null) c.description = row.description;
  if (row.severity !== null) c.severity = row.severity as NonNullable<AlertContent['severity']>;
  if (row.source_url !== null) c.sourceUrl = row.source_url;
  if (row.parser_labels !== null) c.labels = JSON.parse(row.parser_labels) as NonNullable<AlertContent['labels']>;
  return c;
}

interface Applied {
  result: AlertResult;
  source: string;
  enqueue: EnqueueResult[];
  destinations: readonly string[];
  unrouted?: AlertRow;
}

const union = (a: readonly string[], b: readonly string[]) => [...a, ...b.filter((d) => !a.includes(d))];

/**
 * Where a transition goes (DESIGN.md, sticky destinations). A new episode goes where routing says. Within an
 * episode the destinations only grow: an update goes to every destination the episode was queued to plus any it
 * now matches; a resolve goes to exactly those it was queued to, whatever the resolving event carries.
 */
function destinationsFor(kind: 'new' | 'update' | 'resolve', before: readonly string[], routed: readonly string[]): { routedTo: string[]; deliverTo: string[] } {
  if (kind === 'new') return { routedTo: [...routed], deliverTo: [...routed] };
  if (kind === 'resolve') return { routedTo: [...before], deliverTo: [...before] };
  const all = union(before, routed);
  return { routedTo: all, deliverTo: all };
}

async function applyEvent(tx: Tx, held: InsertBuffer, deps: IngestDeps, known: Known, event: AlertEvent, requested: string | undefined, now: number): Promise<Applied> {
  const current = await findCurrent(tx, held, known, event);
  // Within an episode an event that leaves a field out keeps what the alert had (lifecycle.ts, mergeContent).
  const continuing = current !== undefined && current.state !== 'resolved';
  const content = continuing ? mergeContent(storedContent(current), contentOf(event)) : contentOf(event);
  const decision = decide(current ? { state: current.state, episode: current.episode, contentHash: current.content_hash } : null, event, content);
  const { routes, destinations: configured } = deps.routing();
  const labels = labelsOf({ source: event.source, severity: content.severity, metadata: content.metadata, labels: content.labels });
  // A destination the sender named holds for the whole episode; routing decides otherwise.
  const override = requested ?? (continuing ? (current.route_override ?? undefined) : undefined);
  const routed = override ? [override] : route(routes, labels);
  const before = continuing ? readList(current.routed_to) : [];
  const unchangedResult = { id: current?.id ?? null, dedup_key: event.dedupKey, result: 'unchanged' as const };

  if (decision.kind === 'unchanged') {
    if (!current) return { result: unchangedResult, source: event.source, enqueue: [], destinations: [] };
    const ttl = { ttl: event.resolveAfterMs ?? null, staleAt: staleAt(current.state, now, timeToLive(deps.routing(), event.source, labels, event.resolveAfterMs)) };
    await touchAlert(tx, current.id, now, ttl, held);
    let row: AlertRow = { ...current, last_event_at: now, event_count: current.event_count + 1, event_ttl_ms: ttl.ttl, stale_at: ttl.staleAt };
    // A repeat that now matches a destination the episode never reached (the config changed): it gets the state.
    const added = continuing && event.status === 'firing' ? routed.filter((d) => !before.includes(d)) : [];
    let enqueue: EnqueueResult[] = [];
    if (added.length) {
      row = { ...row, routed_to: JSON.stringify(union(before, added)) };
      await updateAlert(tx, current.id, { routed_to: row.routed_to }, held);
      enqueue = await enqueueFor(tx, row, added, now, configured, { held });
    }
    known.set(identity(event.source, event.dedupKey), row);
    return { result: unchangedResult, source: event.source, enqueue, destinations: added };
  }

  const kind = decision.kind === 'created' ? 'new' : decision.kind === 'resolved' ? 'resolve' : 'update';
  const { routedTo, deliverTo } = destinationsFor(kind, before, routed);
  const fields = {
    state: decision.to,
    episode: decision.episode,
    title: content.title,
    description: content.description ?? null,
    severity: content.severity ?? null,
    metadata: JSON.stringify(content.metadata),
    source_url: content.sourceUrl ?? null,
    content_hash: decision.contentHash,
    routed_to: JSON.stringify(routedTo),
    labels: JSON.stringify(labels),
    parser_labels: content.labels ? JSON.stringify(content.labels) : null,
    route_override: kind === 'new' ? (requested ?? null) : (override ?? null),
    updated_at: now,
    last_event_at: now,
    event_ttl_ms: event.resolveAfterMs ?? null,
    stale_at: staleAt(decision.to, now, timeToLive(deps.routing(), event.source, labels, event.resolveAfterMs)),
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
    await insertAlert(tx, row, held);
  } else {
    const lifecycle =
      decision.transition === 'resolved'
        ? { resolved_at: now }
        : decision.transition === 'refired'
          ? { resolved_at: null, acknowledged_at: null }
          : {};
    row = { ...current, ...fields, ...lifecycle, event_count: current.event_count + 1 };
    await updateAlert(tx, current.id, { ...fields, ...lifecycle, event_count: row.event_count }, held);
  }
  const { metadata: _inJson, ...rest } = content; // the metadata goes in as the JSON text stored above
  await insertTransition(
    tx,
    {
      alert_id: row.id,
      episode: row.episode,
      kind: decision.transition,
      from_state: decision.from,
      to_state: decision.to,
      actor: event.source,
      content: stringifyWith(rest, 'metadata', fields.metadata),
      at: now,
    },
    held,
  );
  known.set(identity(event.source, event.dedupKey), row);
  // A new episode of a route with escalation steps: their timers are rows, committed with the alert (escalate.ts).
  // Versus' `?oncall_enable=false` (kept as metadata) asks for no on-call page: only the first step goes out.
  if (kind === 'new' && !override && content.metadata.oncall_enable !== false) {
    const wait = content.metadata.oncall_wait_minutes;
    await scheduleEscalations(held, row, withOncallWait(escalationSteps(routes, labels), typeof wait === 'number' ? wait * 60_000 : undefined), now);
  }
  // A resolve cancels the steps still pending at once (the scheduler would at their due time; the UI and API should
  // not show them as coming meanwhile). Only looked for when some route escalates: most resolves pay nothing.
  if (kind === 'resolve' && routes.some((r) => r.steps)) {
    await held.before('escalations');
    await cancelEscalations(tx, row.id, row.episode, 'resolved', now);
  }
  const enqueue = decision.deliver ? await enqueueFor(tx, row, deliverTo, now, configured, { newAlert: !current, held }) : [];
  const applied: Applied = { result: { id: row.id, dedup_key: event.dedupKey, result: decision.kind }, source: event.source, enqueue, destinations: deliverTo };
  if (kind === 'new' && routedTo.length === 0) applied.unrouted = row;
  return applied;
}

interface Request {
  events: AlertEvent[];
  requested: string | undefined;
}

/**
 * The requests of one job, in order, as one batch of events: one lookup for all of them, their inserts written
 * together as multi-row statements before the job ends. The same as one job per request, only cheaper.
 */
async function applyRequests(tx: Tx, deps: IngestDeps, requests: Request[]): Promise<Applied[][]> {
  const now = deps.clock.now();
  const held = new InsertBuffer(tx);
  const known = await loadKnown(tx, held, requests.flatMap((r) => r.events));
  const out: Applied[][] = [];
  for (const r of requests) {
    const applied: Applied[] = [];
    for (const e of r.events) applied.push(await applyEvent(tx, held, deps, known, e, r.requested, now));
    out.push(applied);
  }
  await held.flush();
  return out;
}

/** Concurrent requests share one job (batching.ts), per set of deps: a gateway has one. */
const batchers = new WeakMap<IngestDeps, Batcher<Request, Applied[]>>();

/**
 * The same steps for tocsin's own events, inside a transaction the caller holds (a timer task's, fenced by the
 * scheduler lease): the alerts change in the same commit as the caller's own rows (a query run's outcome), or not at
 * all. `deps.commits` is not used; nothing is observed (the caller knows when it committed).
 */
export async function ingestWithin(tx: Tx, deps: IngestDeps, rawEvents: AlertEvent[]): Promise<{ results: AlertResult[]; enqueued: Set<string> }> {
  const [applied = []] = await applyRequests(tx, deps, [{ events: rawEvents.map(wellFormedEvent), requested: undefined }]);
  const enqueued = new Set<string>();
  for (const a of applied) for (const d of a.destinations) enqueued.add(d);
  return { results: applied.map((a) => a.result), enqueued };
}

function batcherOf(deps: IngestDeps): Batcher<Request, Applied[]> {
  let b = batchers.get(deps);
  if (!b) batchers.set(deps, (b = new Batcher(deps.commits, (tx, requests) => applyRequests(tx, deps, requests))));
  return b;
}

/**
 * normalize → identity → lifecycle → route → outbox, for every event of one request, in one transaction. The
 * caller answers 2xx only after this resolves: by then the state change and its deliveries are committed.
 *
 * A destination the caller names that is not configured never costs the alert: it is routed as if none was named,
 * and the answer carries a warning (Versus does the same with an unknown `incidentio_other_alert_source`).
 */
export async function ingest(deps: IngestDeps, rawEvents: AlertEvent[], destination?: string): Promise<IngestOutcome> {
  const events = rawEvents.map(wellFormedEvent);
  const warnings: string[] = [];
  let requested = destination;
  if (requested !== undefined && !deps.routing().destinations.has(requested)) {
    const configured = [...deps.routing().destinations].join(', ') || 'none configured';
    warnings.push(`unknown destination "${requested}" ignored: routed by the routes instead (configured destinations: ${configured})`);
    requested = undefined;
  }
  const applied = await batcherOf(deps).run({ events, requested });
  // Observed only once committed: a shared transaction that failed and was re-run must not count twice.
  const enqueued = new Set<string>();
  const queuedTo = new Map<string, number>();
  for (const a of applied) {
    deps.observe?.(a.source, a.result.result, a.enqueue, a.unrouted);
    for (const d of a.destinations) {
      enqueued.add(d);
      queuedTo.set(d, (queuedTo.get(d) ?? 0) + 1);
    }
  }
  return { ok: true, results: applied.map((a) => a.result), enqueued, queuedTo, warnings, ...(destination !== requested ? { unknownDestination: destination } : {}) };
}
