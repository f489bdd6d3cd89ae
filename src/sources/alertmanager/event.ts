import type { AlertEvent, EventStatus, JsonObject } from '../../domain/alert.ts';
import { severityFromWord } from '../severity-words.ts';

/** One alert of an Alertmanager-style notification, after validation: what tocsin reads of it. */
export interface NotifiedAlert {
  status: EventStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  fingerprint: string;
  startsAt?: string | undefined;
  generatorURL?: string | undefined;
}

/** The notification-level facts worth keeping on every alert of a group. */
export interface NotificationGroup {
  receiver?: string | undefined;
  groupKey?: string | undefined;
  externalURL?: string | undefined;
  groupLabels?: Record<string, string> | undefined;
}

/** Titles longer than this are cut: incident.io shows the first line of an alert, and labels can be arbitrarily long. */
const MAX_TITLE = 250;

const nonBlank = (s: string | undefined): string | undefined => (s !== undefined && s.trim() !== '' ? s.trim() : undefined);

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * Without a `summary` annotation the alertname alone is ambiguous (every instance of HighCPU would read the same), so
 * the other labels are appended. Labels are exactly what the fingerprint hashes, so this title never changes for an
 * alert; `commonLabels` would, from one notification to the next.
 */
function titleFromLabels(labels: Record<string, string>, severityLabel: string): string {
  const rest = Object.keys(labels)
    .filter((k) => k !== 'alertname' && k !== severityLabel)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  const name = nonBlank(labels.alertname) ?? 'Alert';
  return rest.length ? `${name} (${rest.join(', ')})` : name;
}

function describe(alert: NotifiedAlert): string {
  const lines = Object.keys(alert.labels)
    .sort()
    .map((k) => `- ${k}: ${alert.labels[k]}`);
  const text = nonBlank(alert.annotations.description);
  return `${text ? `${text}\n\n` : ''}Labels:\n${lines.join('\n')}`;
}

function httpUrl(s: string | undefined): string | undefined {
  if (!s) return undefined;
  try {
    const url = new URL(s);
    return url.protocol === 'http:' || url.protocol === 'https:' ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One Alertmanager (or Alertmanager-shaped) alert as a tocsin event. The alert's own status and fingerprint decide:
 * a group notification says "firing" while some of its alerts are already resolved.
 * Per-notification values (`endsAt`, `truncatedAlerts`, the group status) stay out of the metadata: they change on
 * every repeat notification and would turn each repeat into an update.
 */
export function notifiedAlertEvent(
  source: string,
  alert: NotifiedAlert,
  group: NotificationGroup,
  severityLabel: string,
  extra: JsonObject = {},
): AlertEvent {
  const rawSeverity = alert.labels[severityLabel];
  const severity = severityFromWord(rawSeverity);
  const metadata: JsonObject = {};
  if (alert.labels.alertname !== undefined) metadata.alertname = alert.labels.alertname;
  metadata.fingerprint = alert.fingerprint;
  metadata.labels = alert.labels;
  metadata.annotations = alert.annotations;
  if (alert.annotations.runbook_url) metadata.runbook_url = alert.annotations.runbook_url;
  if (rawSeverity !== undefined && severity === undefined) metadata.raw_severity = rawSeverity;
  if (alert.startsAt) metadata.starts_at = alert.startsAt;
  if (group.receiver) metadata.receiver = group.receiver;
  if (group.groupKey) metadata.group_key = group.groupKey;
  if (group.groupLabels && Object.keys(group.groupLabels).length) metadata.group_labels = group.groupLabels;
  if (group.externalURL) metadata.external_url = group.externalURL;
  Object.assign(metadata, extra);

  const event: AlertEvent = {
    source,
    dedupKey: alert.fingerprint,
    status: alert.status,
    title: truncate(nonBlank(alert.annotations.summary) ?? titleFromLabels(alert.labels, severityLabel), MAX_TITLE),
    description: describe(alert),
    metadata,
  };
  if (severity !== undefined) event.severity = severity;
  const url = httpUrl(alert.generatorURL);
  if (url !== undefined) event.sourceUrl = url;
  return event;
}
