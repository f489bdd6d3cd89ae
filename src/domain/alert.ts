/**
 * The alert vocabulary shared by every layer. Pure types and tiny pure helpers: no I/O here.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

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
   * Metadata keys that describe the run that saw the alert, not the alert (a dbt invocation id, an execution
   * time): kept and sent, but left out when deciding whether a repeat changed anything.
   */
  volatile?: string[];
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** Higher is more severe; alerts without a severity sort below `info`. */
export function severityRank(severity: Severity | undefined | null): number {
  return severity ? SEVERITIES.length - SEVERITIES.indexOf(severity) : 0;
}
