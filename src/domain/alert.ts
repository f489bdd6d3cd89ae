/**
 * The alert vocabulary shared by every layer. Pure types and tiny pure helpers: no I/O here.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Labels a parser sets by name (Alertmanager and Grafana labels); a list value is several values of one label. */
export type ParserLabels = Record<string, string | string[]>;

export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What a source can say about an alert. */
export type EventStatus = 'firing' | 'resolved';

/** Where an alert stands in tocsin. `acknowledged` is set by a person through the API, never by a source. */
export type AlertState = 'firing' | 'acknowledged' | 'resolved';

/**
 * One statement from a source about one alert, after its parser ran.
 * `dedupKey` is what the alert *is* (a fingerprint, a dbt unique_id, a rule name), never when it was seen.
 */
export interface AlertEvent {
  source: string;
  dedupKey: string;
  status: EventStatus;
  title: string;
  description?: string;
  severity?: Severity;
  metadata: JsonObject;
  sourceUrl?: string;
  /**
   * Labels the parser sets by name (Alertmanager and Grafana labels), on top of the metadata's own flattened keys:
   * what routes and every other matcher see (`labelsOf` in labels.ts). Metadata is still sent as the sender gave it.
   */
  labels?: ParserLabels;
  /**
   * Keys this same alert was stored under by earlier versions of its parser. When no alert has `dedupKey` but one
   * has an alias, that alert is the one (and is re-keyed; the key incident.io sees never changes), so an identity
   * rule can be fixed without orphaning the alerts open under the old one.
   */
  aliases?: string[];
  /**
   * Metadata keys that describe the run that saw the alert, not the alert (a dbt invocation id, an execution
   * time): kept and sent, but left out when deciding whether a repeat changed anything.
   */
  volatile?: string[];
  /**
   * This event's own time to live: with no new event for this long, the alert is resolved (a log rule's quiet time,
   * a sender's stated expiry). Takes precedence over the route's and the source's `resolve_after`.
   */
  resolveAfterMs?: number;
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/**
 * Higher is more severe. An alert whose severity is unknown ranks as `error`: a sender that did not say (or said a
 * word tocsin does not know) may well be paging, and must not queue behind `info` in a backlog.
 */
export function severityRank(severity: Severity | string | undefined | null): number {
  const i = severity ? SEVERITIES.indexOf(severity as Severity) : -1;
  return i < 0 ? SEVERITIES.length - SEVERITIES.indexOf('error') : SEVERITIES.length - i;
}
