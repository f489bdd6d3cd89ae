import type { AlertEvent, AlertState, JsonObject, ParserLabels, Severity } from './alert.ts';
import { contentHash } from './identity.ts';

/** What tocsin remembers of an alert, as far as the lifecycle decision needs it. */
export interface AlertSnapshot {
  state: AlertState;
  episode: number;
  contentHash: string;
}

/** The part of an event that, when it changes, is worth telling incident.io about. */
export interface AlertContent {
  title: string;
  description?: string;
  severity?: Severity;
  metadata: JsonObject;
  sourceUrl?: string;
  /** The labels its parser set by name (Alertmanager/Grafana); absent for sources that set none. */
  labels?: ParserLabels;
}

export type IngestResultKind = 'created' | 'updated' | 'resolved' | 'unchanged';

export type TransitionKind = 'created' | 'refired' | 'updated' | 'resolved' | 'acknowledged' | 'unacknowledged';

export type LifecycleDecision =
  | { kind: 'unchanged'; reason: 'same_content' | 'already_resolved' | 'unknown_alert_resolved' }
  | {
      kind: Exclude<IngestResultKind, 'unchanged'>;
      transition: TransitionKind;
      from: AlertState | null;
      to: AlertState;
      episode: number;
      contentHash: string;
      /** Whether destinations hear about it. Acknowledgement is tocsin-side only. */
      deliver: boolean;
    };

export function contentOf(event: AlertEvent): AlertContent {
  const content: AlertContent = { title: event.title, metadata: event.metadata };
  if (event.description !== undefined) content.description = event.description;
  if (event.severity !== undefined) content.severity = event.severity;
  if (event.sourceUrl !== undefined) content.sourceUrl = event.sourceUrl;
  if (event.labels !== undefined && Object.keys(event.labels).length) content.labels = event.labels;
  return content;
}

/**
 * The merge rule: within an episode, an event that leaves a field out does not erase it. A resolve that carries only
 * a title and a key keeps the alert's severity, description, link, metadata and labels; metadata and labels merge
 * key by key, the event's value winning. A new episode starts from what its firing event says.
 */
export function mergeContent(stored: AlertContent, incoming: AlertContent): AlertContent {
  const out: AlertContent = { title: incoming.title, metadata: { ...stored.metadata, ...incoming.metadata } };
  const description = incoming.description ?? stored.description;
  const severity = incoming.severity ?? stored.severity;
  const sourceUrl = incoming.sourceUrl ?? stored.sourceUrl;
  if (description !== undefined) out.description = description;
  if (severity !== undefined) out.severity = severity;
  if (sourceUrl !== undefined) out.sourceUrl = sourceUrl;
  if (stored.labels || incoming.labels) out.labels = { ...stored.labels, ...incoming.labels };
  return out;
}

export function hashContent(content: AlertContent, volatile: readonly string[] = []): string {
  const metadata = volatile.length ? Object.fromEntries(Object.entries(content.metadata).filter(([k]) => !volatile.includes(k))) : content.metadata;
  return contentHash({
    t: content.title,
    d: content.description ?? null,
    s: content.severity ?? null,
    m: metadata,
    u: content.sourceUrl ?? null,
    // Only when present, so alerts of sources without parser labels keep the hashes they were stored with.
    ...(content.labels ? { l: content.labels } : {}),
  });
}

/**
 * The lifecycle rule (DESIGN.md): firing after resolved is a new episode; a repeat of the same state with the
 * same content delivers nothing; a resolve for an alert tocsin never saw fire has nothing to resolve.
 */
export function decide(current: AlertSnapshot | null, event: AlertEvent, content: AlertContent = contentOf(event)): LifecycleDecision {
  const hash = hashContent(content, event.volatile);
  if (event.status === 'resolved') {
    if (current === null) return { kind: 'unchanged', reason: 'unknown_alert_resolved' };
    if (current.state === 'resolved') return { kind: 'unchanged', reason: 'already_resolved' };
    return {
      kind: 'resolved',
      transition: 'resolved',
      from: current.state,
      to: 'resolved',
      episode: current.episode,
      contentHash: hash,
      deliver: true,
    };
  }
  if (current === null) {
    return { kind: 'created', transition: 'created', from: null, to: 'firing', episode: 1, contentHash: hash, deliver: true };
  }
  if (current.state === 'resolved') {
    return {
      kind: 'created',
      transition: 'refired',
      from: 'resolved',
      to: 'firing',
      episode: current.episode + 1,
      contentHash: hash,
      deliver: true,
    };
  }
  if (current.contentHash === hash) return { kind: 'unchanged', reason: 'same_content' };
  // An acknowledged alert stays acknowledged when its content changes: the person is already on it.
  return {
    kind: 'updated',
    transition: 'updated',
    from: current.state,
    to: current.state,
    episode: current.episode,
    contentHash: hash,
    deliver: true,
  };
}
