import type { HeartbeatConfig } from '../config/heartbeats-schema.ts';
import type { JsonObject } from '../domain/alert.ts';
import { contentHash, externalDedupKey } from '../domain/identity.ts';
import { labelsOf } from '../domain/labels.ts';
import { formatDuration } from '../delivery/retry-policy.ts';
import { scheduleEscalations } from '../core/escalate.ts';
import { changeState } from '../core/manage.ts';
import { enqueueFor } from '../core/outbox.ts';
import type { Routing } from '../core/ingest.ts';
import { escalationSteps, route } from '../routing/routes.ts';
import { findAlertsByIdentity, insertAlert, insertTransition, updateAlert } from '../storage/alerts-repo.ts';
import { InsertBuffer } from '../storage/insert-buffer.ts';
import type { AlertRow, HeartbeatRow, Tx } from '../storage/schema.ts';

/** The internal source of missed-heartbeat alerts; also their transitions' actor. */
export const HEARTBEAT_SOURCE = 'tocsin:heartbeat';

/**
 * A missed heartbeat is a real alert of the internal source `tocsin:heartbeat`, keyed by the heartbeat's name, as the
 * storm summary is (core/storm-summary.ts): a row committed with its outbox deliveries, routed by the routes in force
 * on its labels (`heartbeat=<name>`, `source=tocsin:heartbeat`, `severity`, the configured labels), with escalation
 * steps like any new episode; sticky, so the resolve goes exactly where the firing went. A later miss is a new
 * episode of the same alert (incident.io opens a new alert for it). Each function is one transaction's worth of work,
 * run by the scheduler under its lease, in the commit that flips the heartbeat's state.
 */

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

function content(hb: HeartbeatConfig, row: HeartbeatRow, now: number) {
  const since = row.last_ping_at ?? row.created_at;
  const metadata: JsonObject = {
    heartbeat: hb.name,
    every: hb.everyText,
    ...(hb.graceMs ? { grace: formatDuration(hb.graceMs) } : {}),
    last_ping_at: iso(row.last_ping_at),
    due_at: iso(row.due_at),
    ...hb.labels,
  };
  const description =
    hb.description ??
    (row.last_ping_at === null
      ? `No ping since tocsin began watching ${formatDuration(now - since)} ago (expected every ${hb.everyText}${hb.graceMs ? `, grace ${formatDuration(hb.graceMs)}` : ''}). Ping it with POST /heartbeat/${hb.name}.`
      : `Last ping ${formatDuration(now - since)} ago, at ${iso(row.last_ping_at)} (expected every ${hb.everyText}${hb.graceMs ? `, grace ${formatDuration(hb.graceMs)}` : ''}).`);
  const parserLabels = { heartbeat: hb.name, ...hb.labels };
  const labels = labelsOf({ source: HEARTBEAT_SOURCE, severity: hb.severity, metadata, labels: parserLabels });
  return { metadata, description, parserLabels, labels };
}

async function current(tx: Tx, name: string): Promise<AlertRow | undefined> {
  return (await findAlertsByIdentity(tx, HEARTBEAT_SOURCE, [name]))[0];
}

/**
 * Raises the missed alert (or a new episode of it). Returns the destinations to wake; none when it is already
 * active (a person may have acknowledged it: it stays as it is).
 */
export async function raiseMissed(tx: Tx, hb: HeartbeatConfig, row: HeartbeatRow, now: number, routing: Routing, newId: () => string): Promise<string[]> {
  const before = await current(tx, hb.name);
  if (before && before.state !== 'resolved') return [];
  const c = content(hb, row, now);
  const routed = route(routing.routes, c.labels);
  const stored = { title: hb.title, description: c.description, severity: hb.severity, metadata: c.metadata };
  const fields = {
    state: 'firing' as const,
    title: hb.title,
    description: c.description,
    severity: hb.severity,
    metadata: JSON.stringify(c.metadata),
    source_url: null,
    content_hash: contentHash(stored as unknown as JsonObject),
    routed_to: JSON.stringify(routed),
    labels: JSON.stringify(c.labels),
    parser_labels: JSON.stringify(c.parserLabels),
    route_override: null,
    resolved_at: null,
    acknowledged_at: null,
    updated_at: now,
    last_event_at: now,
  };
  let id: string;
  if (!before) {
    id = newId();
    await insertAlert(tx, { ...fields, id, source: HEARTBEAT_SOURCE, dedup_key: hb.name, external_key: externalDedupKey(HEARTBEAT_SOURCE, hb.name), episode: 1, event_count: 1, created_at: now });
  } else {
    id = before.id;
    await updateAlert(tx, id, { ...fields, episode: before.episode + 1, event_count: before.event_count + 1 });
  }
  // Read back whole: the row then has every column (including ones added later), as enqueueFor expects.
  const alert = (await current(tx, hb.name))!;
  await insertTransition(tx, {
    alert_id: id,
    episode: alert.episode,
    kind: before ? 'refired' : 'created',
    from_state: before ? 'resolved' : null,
    to_state: 'firing',
    actor: HEARTBEAT_SOURCE,
    content: JSON.stringify({ title: hb.title, description: c.description, severity: hb.severity, metadata: c.metadata }),
    at: now,
  });
  const held = new InsertBuffer(tx);
  await scheduleEscalations(held, alert, escalationSteps(routing.routes, c.labels), now);
  await held.flush();
  await enqueueFor(tx, alert, routed, now, routing.destinations, { newAlert: !before });
  return routed;
}

/** Resolves the missed alert where it went (pings resumed, or the heartbeat left the config). */
export async function resolveMissed(tx: Tx, name: string, now: number, configured: ReadonlySet<string>, reason: string): Promise<string[]> {
  const alert = await current(tx, name);
  if (!alert || alert.state === 'resolved') return [];
  const { wake } = await changeState(tx, alert, 'resolve', now, configured, HEARTBEAT_SOURCE, { reason });
  return wake;
}
