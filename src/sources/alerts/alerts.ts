import { z } from 'zod';
import type { AlertEvent, JsonObject, JsonValue, Severity } from '../../domain/alert.ts';
import { ok, type FieldProblem, type ParseOutcome } from '../../domain/errors.ts';
import { httpUrl } from '../http-url.ts';
import { MAX_PROBLEMS } from '../problems.ts';
import { severityFromWord } from '../severity-words.ts';
import type { ParsedBatch, SourceType } from '../types.ts';
import { statusFromWord } from '../webhook/status.ts';
import { warningCollector, type WarningCollector } from './warnings.ts';

/** One request may carry up to this many alerts; more is a 400 rather than a slow, huge transaction. */
export const MAX_ALERTS_PER_REQUEST = 1000;

const MAX_TITLE = 1000;
const MAX_KEY = 2000;
const MAX_DESCRIPTION = 100_000;
const FIELDS = new Set(['title', 'status', 'dedup_key', 'description', 'severity', 'metadata', 'source_url']);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const scalarText = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);
const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const firstLine = (s: string) => s.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '');
/**
 * Sets a key as data, as JSON.parse does. Plain assignment of a "__proto__" key (a body parsed without Fastify's
 * guard, a unit test) would replace the object's prototype instead, and the key would vanish from the metadata.
 */
const put = (o: JsonObject, key: string, value: JsonValue) => Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });

interface Reader {
  problem: (name: string, message: string) => void;
  warn: (message: string) => void;
}

/**
 * The title, or one derived from what the alert does carry (its description's first line, else its dedup_key): a
 * sender that forgot the title still pages. Nothing to derive one from is the one thing refused.
 */
function titleOf(a: Record<string, unknown>, description: string | undefined, key: string | undefined, r: Reader): string | undefined {
  if (a.title !== undefined && a.title !== null) {
    if (typeof a.title !== 'string') return void r.problem('title', 'must be a string');
    const t = a.title.trim();
    if (t.length > MAX_TITLE) r.warn(`title is ${t.length} characters: cut to ${MAX_TITLE}`);
    if (t !== '') return cut(t, MAX_TITLE);
  }
  const derived = (description !== undefined ? firstLine(description) : undefined) ?? key;
  if (derived === undefined) return void r.problem('title', 'required (and there is no description or dedup_key to take one from)');
  r.warn(`no title: used the ${description !== undefined && firstLine(description) ? "description's first line" : 'dedup_key'}`);
  return cut(derived, MAX_TITLE);
}

function statusOf(v: unknown, r: Reader): AlertEvent['status'] | undefined {
  if (v === undefined || v === null) return 'firing';
  if (typeof v !== 'string') return void r.problem('status', 'must be "firing" or "resolved"');
  const s = statusFromWord(v);
  if (!s) return void r.problem('status', `"${cut(v, 40)}" says neither firing nor resolved: send "firing" or "resolved"`);
  if (v.trim().toLowerCase() !== s) r.warn(`status "${cut(v, 40)}" read as ${s}`);
  return s;
}

function keyOf(v: unknown, r: Reader): string | undefined {
  if (v === undefined || v === null) return undefined;
  const t = typeof v === 'string' || typeof v === 'number' ? String(v).trim() : undefined;
  if (t === undefined) return void r.problem('dedup_key', 'must be a string');
  if (t === '') return void r.warn('dedup_key is empty: the title is the identity');
  if (t.length > MAX_KEY) return void r.problem('dedup_key', `must be at most ${MAX_KEY} characters`);
  return t;
}

function descriptionOf(v: unknown, r: Reader): string | undefined {
  if (v === undefined || v === null) return undefined;
  const t = scalarText(v);
  if (t === undefined) return void r.problem('description', 'must be a string');
  if (t.length > MAX_DESCRIPTION) r.warn(`description is ${t.length} characters: cut to ${MAX_DESCRIPTION}`);
  return t === '' ? undefined : cut(t, MAX_DESCRIPTION);
}

/**
 * tocsin's own fields, read leniently: only what cannot mean anything (no title and nothing to derive one from, a
 * title or status of the wrong type, a status word that is neither firing nor resolved) is a problem. Everything
 * else that is off is repaired and reported, so the alert still pages.
 */
function toEvent(source: string, a: Record<string, unknown>, severityMap: Readonly<Record<string, Severity>> | undefined, r: Reader): AlertEvent | undefined {
  const metadata: JsonObject = {};
  if (isObject(a.metadata)) for (const [k, v] of Object.entries(a.metadata)) put(metadata, k, v as JsonValue);
  else if (a.metadata !== undefined && a.metadata !== null) {
    metadata.value = a.metadata as JsonValue;
    r.warn('metadata is not an object: kept as metadata.value');
  }
  // An unknown field is something the sender wanted said: it reaches incident.io in the metadata (where routes
  // see it too) rather than costing the page. A metadata key of the same name wins.
  const unknown = Object.keys(a).filter((k) => !FIELDS.has(k));
  for (const k of unknown) if (!Object.hasOwn(metadata, k)) put(metadata, k, a[k] as JsonValue);
  if (unknown.length) r.warn(`unknown field(s) ${unknown.map((k) => cut(k, 40)).join(', ')}: kept in metadata`);

  const key = keyOf(a.dedup_key, r);
  const description = descriptionOf(a.description, r);
  const status = statusOf(a.status, r);
  const title = titleOf(a, description, key, r);
  if (title === undefined || status === undefined) return undefined;

  // Without an explicit key the title is the identity: the same title is the same alert (documented in README).
  const event: AlertEvent = { source, dedupKey: key ?? title, status, title, metadata };
  if (description !== undefined) event.description = description;
  if (a.severity !== undefined && a.severity !== null) {
    const word = scalarText(a.severity);
    const severity = severityFromWord(word, severityMap);
    if (severity) event.severity = severity;
    else if (word !== undefined) {
      metadata.raw_severity = word;
      r.warn(`severity "${cut(word, 40)}" is not one of critical, error, warning, info (add it to the source's severity_map): left unset, kept as metadata.raw_severity`);
    } else r.warn('severity is not a word: ignored');
  }
  if (a.source_url !== undefined && a.source_url !== null) {
    const url = httpUrl(scalarText(a.source_url));
    if (url) event.sourceUrl = url;
    else r.warn('source_url is not an absolute http(s) URL: left out');
  }
  return event;
}

/** tocsin's native format: one alert object, or an array of them. */
export const alertsSource: SourceType<Record<string, never>> = {
  type: 'alerts',
  options: z.object({}).strict(),
  parse(body, ctx): ParseOutcome<ParsedBatch> {
    const items = Array.isArray(body) ? body : [body];
    if (Array.isArray(body) && body.length === 0) return { ok: false, problems: [{ field: '(body)', message: 'the array is empty' }] };
    if (items.length > MAX_ALERTS_PER_REQUEST) {
      return { ok: false, problems: [{ field: '(body)', message: `at most ${MAX_ALERTS_PER_REQUEST} alerts per request, got ${items.length}` }] };
    }
    const events: AlertEvent[] = [];
    const problems: FieldProblem[] = [];
    const warnings: WarningCollector = warningCollector();
    items.forEach((item, i) => {
      const prefix = Array.isArray(body) ? `[${i}]` : '';
      if (!isObject(item)) return void problems.push({ field: prefix || '(body)', message: 'must be a JSON object' });
      const reader: Reader = {
        problem: (name, message) => problems.push({ field: prefix ? `${prefix}.${name}` : name, message }),
        warn: (message) => warnings.add(prefix, message),
      };
      const event = toEvent(ctx.source, item, ctx.severityMap, reader);
      if (event) events.push(event);
    });
    if (problems.length) return { ok: false, problems: problems.slice(0, MAX_PROBLEMS) };
    const list = warnings.list();
    return ok(list.length ? { events, warnings: list } : { events });
  },
};
