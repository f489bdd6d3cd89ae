import { isObject, text } from './candidate.ts';
import { isOccurrenceKey } from './stable-identity.ts';

/**
 * Reading a payload of no known shape by its field names. Names are tried in order, case-insensitively; the first
 * that holds text wins. Documented in docs/sources.md ("versus": anything else); change both together.
 */
export const TITLE_KEYS = ['title', 'name', 'summary', 'subject', 'alertname', 'rulename', 'alert_name', 'rule_name'];
export const KEY_KEYS = ['dedup_key', 'dedupkey', 'deduplication_key', 'fingerprint', 'id', 'alert_id', 'incident_key', 'ruleid'];
/** Log shippers put the line here (Fluent Bit `log`, Versus' own `Logs`, Logstash/Vector `message`). */
export const MESSAGE_KEYS = ['message', 'msg', 'logs', 'log', 'error', 'text', 'description', 'details'];
export const SERVICE_KEYS = ['servicename', 'service_name', 'service', 'app', 'app_name', 'application', 'component', 'job'];
export const STATUS_KEYS = ['status', 'state', 'alertstate'];
export const SEVERITY_KEYS = ['severity', 'level', 'priority', 'log_level', 'loglevel'];
export const DESCRIPTION_KEYS = ['description', 'details', 'message', 'msg', 'text', 'log', 'logs', 'error'];
export const URL_KEYS = ['source_url', 'url', 'link', 'generatorurl', 'ruleurl', 'kibanaurl'];

/** An object's keys by their lower-cased name (the first spelling wins), built once per payload. */
export type KeyIndex = ReadonlyMap<string, string>;
export function keyIndex(o: Record<string, unknown>): KeyIndex {
  const keys = new Map<string, string>();
  for (const k of Object.keys(o)) if (!keys.has(k.toLowerCase())) keys.set(k.toLowerCase(), k);
  return keys;
}

/** The first of `names` holding text, as `[key as sent, trimmed text]`. */
export function field(o: Record<string, unknown>, names: readonly string[], except?: string, keys: KeyIndex = keyIndex(o)): [string, string] | undefined {
  for (const name of names) {
    const key = keys.get(name);
    if (key === undefined || key === except) continue;
    const v = text(o[key]);
    if (v !== undefined) return [key, v];
  }
  return undefined;
}

const TITLE_MAX = 200;
const VALUE_MAX = 60;
const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const firstLine = (s: string) => s.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '') ?? s.trim();

/**
 * The service a payload is about: a top-level service-like field (ECS' `service.name` too), else what Fluent Bit's
 * Kubernetes filter says (the `app` label, `app.kubernetes.io/name`, the container name).
 */
export function serviceOf(o: Record<string, unknown>, keys: KeyIndex = keyIndex(o)): string | undefined {
  for (const name of SERVICE_KEYS) {
    const key = keys.get(name);
    if (key === undefined) continue;
    const v = o[key];
    const t = isObject(v) ? text(v.name) : text(v);
    if (t !== undefined) return t;
  }
  const k8s = o.kubernetes;
  if (isObject(k8s)) {
    const labels = isObject(k8s.labels) ? k8s.labels : {};
    return text(labels.app) ?? text(labels['app.kubernetes.io/name']) ?? text(labels['k8s-app']) ?? text(k8s.container_name);
  }
  return undefined;
}

function scalars(o: Record<string, unknown>, prefix: string, depth: number, out: string[]): void {
  for (const [k, v] of Object.entries(o)) {
    if (isOccurrenceKey(k)) continue;
    const path = prefix ? `${prefix}.${k}` : k;
    if (isObject(v)) {
      if (depth < 3) scalars(v, path, depth + 1, out);
      continue;
    }
    const t = Array.isArray(v) ? v.map(text).filter((x) => x !== undefined).join(', ') || undefined : text(v);
    if (t !== undefined) out.push(`${path}=${cut(firstLine(t), VALUE_MAX)}`);
  }
}

/** `check=disk, server=db1, used_pct=91`: what a payload with no title and no message says, readably. */
export function summaryOf(o: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  scalars(o, '', 0, parts);
  return parts.length ? cut(parts.join(', '), TITLE_MAX) : undefined;
}

/**
 * A title for a payload that names none: `<service>: <first line of its message>`, else the message's first line,
 * else a summary of its fields. Undefined only for a payload with nothing readable in it.
 */
export function derivedTitle(o: Record<string, unknown>, keys: KeyIndex = keyIndex(o)): string | undefined {
  const message = field(o, MESSAGE_KEYS, undefined, keys);
  const service = serviceOf(o, keys);
  if (message) {
    const line = firstLine(message[1]);
    return cut(service ? `${service}: ${line}` : line, TITLE_MAX);
  }
  return summaryOf(o);
}
