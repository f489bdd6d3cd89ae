import type { EventStatus, JsonObject } from '../../domain/alert.ts';
import { severityFromWord } from '../severity-words.ts';
import { httpUrl, isObject, text, type Candidate } from './candidate.ts';

// Field names tried in order, case-insensitively, for a payload of no known shape.
const TITLE = ['title', 'name', 'summary', 'message', 'subject', 'alertname', 'rulename'];
const KEY = ['dedup_key', 'dedupkey', 'fingerprint', 'id', 'alert_id', 'ruleid'];
const STATUS = ['status', 'state', 'alertstate'];
const SEVERITY = ['severity', 'level', 'priority'];
const DESCRIPTION = ['description', 'details', 'message', 'text', 'log', 'logs'];
const URL_KEYS = ['source_url', 'url', 'link', 'generatorurl', 'ruleurl'];
const RESOLVED = new Set(['resolved', 'ok', 'normal']);

function field(o: Record<string, unknown>, names: readonly string[], except?: string): [string, string] | undefined {
  const keys = new Map(Object.keys(o).map((k) => [k.toLowerCase(), k]));
  for (const name of names) {
    const key = keys.get(name);
    if (key === undefined || key === except) continue;
    const v = text(o[key]);
    if (v !== undefined) return [key, v];
  }
  return undefined;
}

/**
 * Anything else: a title from `title`/`name`/`summary`/`message`, an identity from `id`/`fingerprint`/`dedup_key`
 * (else a hash of the title: deterministic, so the same alert always gets the same key), and `status`/`state`/
 * `alertState` of resolved, ok or normal to resolve.
 */
export function genericCandidate(item: unknown, path: string): Candidate {
  if (!isObject(item)) return { field: path, context: item, event: { metadata: { value: item as JsonObject[string] } }, keyFromTitle: true };
  const title = field(item, TITLE);
  const key = field(item, KEY);
  const state = field(item, STATUS);
  const level = field(item, SEVERITY);
  const description = field(item, DESCRIPTION, title?.[0]);
  const url = httpUrl(field(item, URL_KEYS)?.[1]);
  const status: EventStatus = state && RESOLVED.has(state[1].toLowerCase()) ? 'resolved' : 'firing';
  const severity = severityFromWord(level?.[1]);
  const metadata: JsonObject = { ...(item as JsonObject) };
  if (level && !severity) metadata.raw_severity = level[1];
  return {
    field: path,
    context: item,
    event: {
      ...(key ? { dedupKey: key[1] } : {}),
      status,
      ...(title ? { title: title[1] } : {}),
      ...(description ? { description: description[1] } : {}),
      ...(severity ? { severity } : {}),
      ...(url ? { sourceUrl: url } : {}),
      metadata,
    },
    ...(key ? {} : { keyFromTitle: true }),
  };
}
