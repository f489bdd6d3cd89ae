import type { AlertEvent, EventStatus, JsonObject, Severity } from '../../domain/alert.ts';
import { httpUrl } from '../http-url.ts';
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
 * alert; `commonLabels` would, from one notification to the next. `skip` names labels that say nothing about the
 * instance (the severity; Grafana's folder).
 */
export function titleFromLabels(labels: Record<string, string>, skip: readonly string[], name = nonBlank(labels.alertname) ?? 'Alert'): string {
  const rest = Object.keys(labels)
    .filter((k) => k !== 'alertname' && !skip.includes(k))
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return truncate(rest.length ? `${name} (${rest.join(', ')})` : name, MAX_TITLE);
}

/** `annotations.summary`, else the alertname and the other labels but `skip`; cut to what incident.io shows. */
export function alertTitle(alert: NotifiedAlert, skip: readonly string[]): string {
  const summary = nonBlank(alert.annotations.summary);
  return summary !== undefined ? truncate(summary, MAX_TITLE) : titleFromLabels(alert.labels, skip);
}

function describe(alert: NotifiedAlert): string {
  const lines = Object.keys(alert.labels)
    .sort()
    .map((k) => `- ${k}: ${alert.labels[k]}`);
  const text = nonBlank(alert.annotations.description);
  return `${text ? `${text}\n\n` : ''}Labels:\n${lines.join('\n')}`;
}

/**
 * One Alertmanager (or Alertmanager-shaped) alert as a tocsin event. The alert's own status and fingerprint decide:
 * a group notification says "firing" while some of its alerts are already resolved.
 * Per-notification values (`endsAt`, `truncatedAlerts`, the group status) stay out of the metadata: they change on
 * every repeat notification and would turn each repeat into an update.
 * The alert's labels are the event's labels by name, so `match: { team: storage }` sees the `team` label.
 */
export function notifiedAlertEvent(
  source: string,
  alert: NotifiedAlert,
  group: NotificationGroup,
  severityLabel: string,
  extra: JsonObject = {},
  severityMap?: Readonly<Record<string, Severity>>,
): AlertEvent {
  const rawSeverity = Object.hasOwn(alert.labels, severityLabel) ? alert.labels[severityLabel] : undefined;
  const severity = severityFromWord(rawSeverity, severityMap);
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
    title: alertTitle(alert, [severityLabel]),
    description: describe(alert),
    metadata,
    labels: { ...alert.labels },
  };
  if (severity !== undefined) event.severity = severity;
  const url = httpUrl(alert.generatorURL);
  if (url !== undefined) event.sourceUrl = url;
  return event;
}
