import type { Severity } from '../domain/alert.ts';

/**
 * Severity words seen in the wild (Prometheus `severity` labels, syslog levels, Sentry levels, P-style tiers) to
 * tocsin's four severities. Shared by every source that receives a free-form severity; anything not listed stays
 * unmapped on purpose: a guess would route an alert to the wrong people.
 */
const WORDS: Record<string, Severity> = {
  critical: 'critical',
  crit: 'critical',
  page: 'critical',
  fatal: 'critical',
  emergency: 'critical',
  emerg: 'critical',
  error: 'error',
  err: 'error',
  high: 'error',
  major: 'error',
  warning: 'warning',
  warn: 'warning',
  medium: 'warning',
  minor: 'warning',
  info: 'info',
  information: 'info',
  informational: 'info',
  notice: 'info',
  low: 'info',
  none: 'info',
  debug: 'info',
};

/**
 * The tocsin severity for a source's word, case- and space-insensitive; undefined when the word is unknown. A
 * source's own `severity_map` (keys lower-cased, ParseContext.severityMap) is consulted first.
 */
export function severityFromWord(word: unknown, map?: Readonly<Record<string, Severity>>): Severity | undefined {
  if (typeof word !== 'string' && typeof word !== 'number') return undefined;
  const key = String(word).trim().toLowerCase();
  // Own keys only: "constructor" or "__proto__" as a severity would otherwise find what every object inherits.
  if (map && Object.hasOwn(map, key)) return map[key];
  return Object.hasOwn(WORDS, key) ? WORDS[key] : undefined;
}
