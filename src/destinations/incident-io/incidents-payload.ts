/**
 * The request bodies of the incidents destination. Pure: no I/O, no clock (times come from the payload).
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../../domain/alert.ts';
import type { DeliveryPayload } from '../types.ts';
import type { IncidentCreatePayload, IncidentEditPayload } from './incidents-contract.ts';

/** The schema sets no limit; like dedup keys (domain/identity.ts), keep it under 255 so every store takes it. */
export const MAX_IDEMPOTENCY_KEY = 255;
export const MAX_NAME = 250;
const MAX_DESCRIPTION = 10_000;
const MAX_METADATA_KEYS = 30;
const MAX_VALUE = 200;

/**
 * One incident per alert episode, whoever sends it: a retry, a restart after a crash mid-request, or another
 * instance all send the same key, and incident.io answers with the incident it already created. A re-fire after
 * resolve is a new episode, hence a new key and a new incident.
 *
 * A connection test reuses one alert identity and episode on every run (`tocsin test-connection`), so its key also
 * carries the run's time: each run declares its own test incident instead of replaying the first one.
 */
export function idempotencyKey(p: Pick<DeliveryPayload, 'externalKey' | 'episode' | 'test' | 'at'>): string {
  const key = p.test ? `tocsin-test:${p.externalKey}:${p.episode}:${p.at}` : `tocsin:${p.externalKey}:${p.episode}`;
  if (key.length <= MAX_IDEMPOTENCY_KEY) return key;
  return `${p.test ? 'tocsin-test' : 'tocsin'}:sha256:${createHash('sha256').update(key).digest('hex')}`;
}

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function renderValue(v: JsonValue): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) return v.map((x) => String(x)).join(', ');
  return JSON.stringify(v);
}

/** Metadata as `- key: value` lines a responder can read, capped in count and length, with the cut said. */
export function renderMetadata(metadata: Record<string, JsonValue>): string[] {
  const entries = Object.entries(metadata);
  const lines = entries.slice(0, MAX_METADATA_KEYS).map(([k, v]) => `- ${cut(k, 80)}: ${cut(renderValue(v).replace(/\s*\n\s*/g, ' '), MAX_VALUE)}`);
  if (entries.length > MAX_METADATA_KEYS) lines.push(`- …and ${entries.length - MAX_METADATA_KEYS} more (truncated; the full alert is in tocsin)`);
  return lines;
}

/** The incident's summary: what the alert says, where it came from, its metadata, and the link back. */
export function buildSummary(p: DeliveryPayload): string {
  const parts: string[] = [];
  if (p.description) parts.push(cut(p.description.trim(), MAX_DESCRIPTION));
  const origin = [`Source: ${p.source}`, ...(p.severity ? [`severity: ${p.severity}`] : [])].join(' · ');
  parts.push([origin, ...(p.sourceUrl ? [`Link: ${p.sourceUrl}`] : [])].join('\n'));
  const meta = renderMetadata(p.metadata);
  if (meta.length) parts.push(['Details:', ...meta].join('\n'));
  parts.push(`Declared by tocsin from alert ${p.externalKey} (episode ${p.episode}).`);
  return parts.join('\n\n');
}

export interface CreateOptions {
  visibility: 'public' | 'private';
  mode: 'standard' | 'test';
  severityId: string;
}

export function buildCreate(p: DeliveryPayload, o: CreateOptions): IncidentCreatePayload {
  return {
    idempotency_key: idempotencyKey(p),
    visibility: o.visibility,
    name: cut(p.title.trim() || `Alert ${p.externalKey}`, MAX_NAME),
    summary: buildSummary(p),
    // A connection test must never page anyone, whatever the configured mode.
    mode: p.test ? 'test' : o.mode,
    severity_id: o.severityId,
  };
}

/** Closing tells the channel: responders should see that the alert behind the incident cleared. */
export function buildClose(statusId: string): IncidentEditPayload {
  return { incident: { incident_status_id: statusId }, notify_incident_channel: true };
}

export function resolutionLine(at: number): string {
  return `Resolved at ${new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z')}: the alert cleared (tocsin).`;
}

/**
 * on_resolve: summary_only. Undefined when the line is already there: the edit landed on an earlier attempt whose
 * answer was lost, and appending it again would only repeat it.
 */
export function buildResolvedSummary(current: string | undefined, at: number): IncidentEditPayload | undefined {
  const line = resolutionLine(at);
  const existing = (current ?? '').trimEnd();
  if (existing.includes(line)) return undefined;
  return { incident: { summary: existing ? `${existing}\n\n${line}` : line }, notify_incident_channel: true };
}
