import { z } from 'zod';
import type { AlertEvent, EventStatus, JsonObject } from '../../domain/alert.ts';
import { ok, type FieldProblem, type ParseOutcome } from '../../domain/errors.ts';
import { MAX_ALERTS_PER_REQUEST } from '../alerts/alerts.ts';
import { httpUrl } from '../http-url.ts';
import { MAX_PROBLEMS } from '../problems.ts';
import { severityFromWord } from '../severity-words.ts';
import type { ParsedBatch, SourceType } from '../types.ts';
import { asText, evaluateExpression, expressionSchema, isTruthy, type Expression } from './expression.ts';
import { statusFromWord } from './status.ts';

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

type Collect = (field: string, message: string) => void;

/** Evaluates one text-valued option against an item; reports problems under `field`. */
async function textOf(expr: Expression | undefined, item: unknown, bindings: Record<string, unknown>, field: string, report: Collect) {
  if (!expr) return undefined;
  const r = await evaluateExpression(expr, item, bindings);
  if (!r.ok) return void report(field, r.message);
  const t = asText(expr, r.value);
  if (!t.ok) return void report(field, t.message);
  return t.value;
}

async function statusOf(o: WebhookOptions, item: unknown, bindings: Record<string, unknown>, field: string, report: Collect) {
  if (o.resolved_when) {
    const r = await evaluateExpression(o.resolved_when, item, bindings);
    if (!r.ok) return void report(`${field}resolved_when`, r.message);
    return isTruthy(r.value) ? 'resolved' : 'firing';
  }
  const word = await textOf(o.status, item, bindings, `${field}status`, report);
  if (word === undefined) return 'firing';
  const status = statusFromWord(word);
  if (!status) report(`${field}status`, `expression ${JSON.stringify(o.status!.source)} returned "${word}", expected firing or resolved (or use resolved_when)`);
  return status;
}

/** One item as an event, or the problems that stop it; problems stay per item so their order is the items' order. */
async function toEvent(source: string, o: WebhookOptions, item: unknown, root: unknown, prefix: string): Promise<{ event?: AlertEvent; problems: FieldProblem[] }> {
  const bindings = { payload: root };
  const f = prefix ? `${prefix}.` : '';
  const problems: FieldProblem[] = [];
  let failed = false;
  const collect: Collect = (field, message) => {
    failed = true;
    problems.push({ field, message });
  };
  const [title, dedupKey, status, severityWord, description, sourceUrl] = await Promise.all([
    textOf(o.title, item, bindings, `${f}title`, collect),
    textOf(o.dedup_key, item, bindings, `${f}dedup_key`, collect),
    statusOf(o, item, bindings, f, collect),
    textOf(o.severity, item, bindings, `${f}severity`, collect),
    textOf(o.description, item, bindings, `${f}description`, collect),
    textOf(o.source_url, item, bindings, `${f}source_url`, collect),
  ]);
  let metadata = defaultMetadata(item, o.exclude);
  if (o.metadata) {
    const m = await evaluateExpression(o.metadata, item, bindings);
    if (!m.ok) collect(`${f}metadata`, m.message);
    else if (m.value === null || typeof m.value !== 'object' || Array.isArray(m.value)) {
      collect(`${f}metadata`, `expression ${JSON.stringify(o.metadata.source)} must return an object`);
    } else metadata = m.value as JsonObject;
  }
  if (title === undefined && !failed) collect(`${f}title`, `expression ${JSON.stringify(o.title.source)} returned nothing`);
  if (dedupKey === undefined && !failed) collect(`${f}dedup_key`, `expression ${JSON.stringify(o.dedup_key.source)} returned nothing`);
  if (failed || title === undefined || dedupKey === undefined || status === undefined) return { problems };

  const event: AlertEvent = {
    source,
    dedupKey,
    status: status as EventStatus,
    title: title.length > MAX_TITLE ? `${title.slice(0, MAX_TITLE - 1)}…` : title,
    metadata,
  };
  if (description !== undefined) event.description = description;
  const severity = severityFromWord(severityWord);
  if (severity) event.severity = severity;
  else if (severityWord !== undefined) event.metadata = { ...metadata, raw_severity: severityWord };
  // A mapping that yields a relative or garbled URL loses only the link, never the alert.
  const url = httpUrl(sourceUrl);
  if (url) event.sourceUrl = url;
  return { event, problems };
}

async function selectItems(o: WebhookOptions, body: unknown): Promise<ParseOutcome<{ items: unknown[]; prefix: (i: number) => string }>> {
  if (o.items) {
    const r = await evaluateExpression(o.items, body, { payload: body });
    if (!r.ok) return { ok: false, problems: [{ field: 'items', message: r.message }] };
    const items = r.value === undefined ? [] : Array.isArray(r.value) ? r.value : [r.value];
    if (items.length === 0) return { ok: false, problems: [{ field: 'items', message: `expression ${JSON.stringify(o.items.source)} selected nothing` }] };
    return ok({ items, prefix: (i) => `items[${i}]` });
  }
  if (Array.isArray(body)) {
    if (body.length === 0) return { ok: false, problems: [{ field: '(body)', message: 'the array is empty' }] };
    return ok({ items: body, prefix: (i) => `[${i}]` });
  }
  return ok({ items: [body], prefix: () => '' });
}

/**
 * A generic JSON webhook mapped by jsonata expressions from the config. An array body, or the array an `items`
 * expression selects, fans out to one alert per element.
 */
export const webhookSource: SourceType<WebhookOptions, Promise<ParseOutcome<ParsedBatch>>> = {
  type: 'webhook',
  options: optionsSchema,
  async parse(body, ctx) {
    const selected = await selectItems(ctx.options, body);
    if (!selected.ok) return selected;
    const { items, prefix } = selected.value;
    if (items.length > MAX_ALERTS_PER_REQUEST) {
      return { ok: false, problems: [{ field: '(body)', message: `at most ${MAX_ALERTS_PER_REQUEST} alerts per request, got ${items.length}` }] };
    }
    const results = await Promise.all(items.map((item, i) => toEvent(ctx.source, ctx.options, item, body, prefix(i))));
    const problems = results.flatMap((r) => r.problems);
    if (problems.length) return { ok: false, problems: problems.slice(0, MAX_PROBLEMS) };
    return ok({ events: results.flatMap((r) => (r.event ? [r.event] : [])) });
  },
};
