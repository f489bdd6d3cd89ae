import { z } from 'zod';
import type { AlertEvent, EventStatus, JsonObject, Severity } from '../../domain/alert.ts';
import { ok, type ParseOutcome } from '../../domain/errors.ts';
import { MAX_ALERTS_PER_REQUEST } from '../alerts/alerts.ts';
import { warningCollector } from '../alerts/warnings.ts';
import { httpUrl } from '../http-url.ts';
import { echo } from '../problems.ts';
import { severityFromWord } from '../severity-words.ts';
import type { ParsedBatch, SourceType } from '../types.ts';
import { asText, evaluateExpression, expressionSchema, isTruthy, type Expression } from './expression.ts';
import { derivedTitle } from '../versus/derive.ts';
import { isObject } from '../versus/candidate.ts';
import { stableIdentity } from '../versus/stable-identity.ts';
import { statusFromWord } from './status.ts';

type SeverityMap = Readonly<Record<string, Severity>> | undefined;

const optionsSchema = z
  .object({
    title: expressionSchema,
    dedup_key: expressionSchema,
    status: expressionSchema.optional(),
    resolved_when: expressionSchema.optional(),
    severity: expressionSchema.optional(),
    description: expressionSchema.optional(),
    source_url: expressionSchema.optional(),
    metadata: expressionSchema.optional(),
    exclude: z.array(z.string().min(1, 'must not be empty')).default([]),
    items: expressionSchema.optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.status && o.resolved_when) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['resolved_when'], message: 'set either status or resolved_when, not both' });
    }
  });

export type WebhookOptions = z.output<typeof optionsSchema>;

/** Long enough for any real title; longer is cut rather than refused, since refusing would drop the alert. */
const MAX_TITLE = 500;

function defaultMetadata(item: unknown, exclude: readonly string[]): JsonObject {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return { value: item as JsonObject[string] };
  const copy: JsonObject = { ...(item as JsonObject) };
  for (const key of exclude) delete copy[key];
  return copy;
}

/** Reports what a mapping could not read in one item; the item still becomes an alert. */
type Report = (message: string) => void;

/** Evaluates one text-valued option against an item; undefined (and a report) when it fails on this item. */
async function textOf(expr: Expression | undefined, key: string, item: unknown, bindings: Record<string, unknown>, report: Report) {
  if (!expr) return undefined;
  const r = await evaluateExpression(expr, item, bindings);
  if (!r.ok) return void report(`${key}: ${r.message}`);
  const t = asText(expr, r.value);
  if (!t.ok) return void report(`${key}: ${t.message}`);
  return t.value;
}

/** Firing unless the mapping says resolved: an alert whose status cannot be read must still page. */
async function statusOf(o: WebhookOptions, item: unknown, bindings: Record<string, unknown>, report: Report): Promise<EventStatus> {
  if (o.resolved_when) {
    const r = await evaluateExpression(o.resolved_when, item, bindings);
    if (!r.ok) {
      report(`resolved_when: ${r.message}; read as firing`);
      return 'firing';
    }
    return isTruthy(r.value) ? 'resolved' : 'firing';
  }
  const word = await textOf(o.status, 'status', item, bindings, report);
  if (word === undefined) return 'firing';
  const status = statusFromWord(word);
  if (!status) report(`status: expression ${JSON.stringify(o.status!.source)} returned "${echo(word)}", expected firing or resolved (or use resolved_when); read as firing`);
  return status ?? 'firing';
}

/**
 * What the mapping did not give, read from the payload the way the versus source reads any JSON (derive.ts,
 * stable-identity.ts): a mapping that does not fit one payload costs a warning, never the page.
 */
function derivedTitleOf(source: string, item: unknown): string {
  const o = isObject(item) ? item : { value: item };
  return derivedTitle(typeof item === 'string' ? { message: item } : o) ?? `Alert from ${source} (no readable fields)`;
}
const derivedKeyOf = (item: unknown) => stableIdentity(isObject(item) ? item : typeof item === 'string' ? { message: item } : { value: item });

/** One item as an event; what the mapping could not read is derived from the payload and reported. */
async function toEvent(source: string, o: WebhookOptions, item: unknown, root: unknown, map: SeverityMap, report: Report): Promise<AlertEvent> {
  const bindings = { payload: root };
  const [mappedTitle, mappedKey, status, severityWord, description, sourceUrl] = await Promise.all([
    textOf(o.title, 'title', item, bindings, report),
    textOf(o.dedup_key, 'dedup_key', item, bindings, report),
    statusOf(o, item, bindings, report),
    textOf(o.severity, 'severity', item, bindings, report),
    textOf(o.description, 'description', item, bindings, report),
    textOf(o.source_url, 'source_url', item, bindings, report),
  ]);
  let metadata = defaultMetadata(item, o.exclude);
  if (o.metadata) {
    const m = await evaluateExpression(o.metadata, item, bindings);
    if (!m.ok) report(`metadata: ${m.message}; sent the payload instead`);
    else if (m.value === null || typeof m.value !== 'object' || Array.isArray(m.value)) {
      report(`metadata: expression ${JSON.stringify(o.metadata.source)} must return an object; sent the payload instead`);
    } else metadata = m.value as JsonObject;
  }
  let title = mappedTitle;
  if (title === undefined) {
    title = derivedTitleOf(source, item);
    report(`title: expression ${JSON.stringify(o.title.source)} gave nothing: title derived from the payload`);
  }
  let dedupKey = mappedKey;
  if (dedupKey === undefined) {
    dedupKey = derivedKeyOf(item);
    report(`dedup_key: expression ${JSON.stringify(o.dedup_key.source)} gave nothing: identity derived from the payload's stable fields`);
  }

  const event: AlertEvent = {
    source,
    dedupKey,
    status,
    title: title.length > MAX_TITLE ? `${title.slice(0, MAX_TITLE - 1)}…` : title,
    metadata,
  };
  if (description !== undefined) event.description = description;
  const severity = severityFromWord(severityWord, map);
  if (severity) event.severity = severity;
  else if (severityWord !== undefined) event.metadata = { ...metadata, raw_severity: severityWord };
  // A mapping that yields a relative or garbled URL loses only the link, never the alert.
  const url = httpUrl(sourceUrl);
  if (url) event.sourceUrl = url;
  return event;
}

type Selected = { items: unknown[]; prefix: (i: number) => string; warning?: string };

async function selectItems(o: WebhookOptions, body: unknown): Promise<Selected> {
  if (o.items) {
    const r = await evaluateExpression(o.items, body, { payload: body });
    // The body holds alerts the mapping cannot find: one alert for the whole body beats losing them.
    if (!r.ok) return { items: [body], prefix: () => '', warning: `items: ${r.message}; the whole body read as one alert` };
    const items = r.value === undefined ? [] : Array.isArray(r.value) ? r.value : [r.value];
    if (items.length === 0) return { items, prefix: () => '', warning: `items: expression ${JSON.stringify(o.items.source)} selected nothing: no alerts in this payload` };
    return { items, prefix: (i) => `items[${i}]` };
  }
  if (Array.isArray(body)) {
    if (body.length === 0) return { items: [], prefix: () => '', warning: 'the array is empty: no alerts in it' };
    return { items: body, prefix: (i) => `[${i}]` };
  }
  return { items: [body], prefix: () => '' };
}

/**
 * A generic JSON webhook mapped by jsonata expressions from the config. An array body, or the array an `items`
 * expression selects, fans out to one alert per element. A payload the mapping does not fit is never refused (the
 * sender would not retry, and the page would be lost): what the mapping could not give is derived and reported in
 * the 202 answer's `warnings`.
 */
export const webhookSource: SourceType<WebhookOptions, Promise<ParseOutcome<ParsedBatch>>> = {
  type: 'webhook',
  options: optionsSchema,
  async parse(body, ctx) {
    const { items, prefix, warning } = await selectItems(ctx.options, body);
    if (items.length > MAX_ALERTS_PER_REQUEST) {
      return { ok: false, problems: [{ field: '(body)', message: `at most ${MAX_ALERTS_PER_REQUEST} alerts per request, got ${items.length}` }] };
    }
    const warn = warningCollector();
    if (warning) warn.add('', warning);
    const events = await Promise.all(items.map((item, i) => toEvent(ctx.source, ctx.options, item, body, ctx.severityMap, (m) => warn.add(prefix(i), m))));
    const warnings = warn.list();
    return ok(warnings.length ? { events, warnings } : { events });
  },
};
