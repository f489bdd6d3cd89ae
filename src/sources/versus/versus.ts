import { z } from 'zod';
import type { AlertEvent, EventStatus, JsonObject, Severity } from '../../domain/alert.ts';
import { ok, type ParseOutcome } from '../../domain/errors.ts';
import { MAX_ALERTS_PER_REQUEST } from '../alerts/alerts.ts';
import { warningCollector, type WarningCollector } from '../alerts/warnings.ts';
import { echo, MAX_PROBLEMS } from '../problems.ts';
import { severityFromWord } from '../severity-words.ts';
import type { ParsedBatch, SourceType } from '../types.ts';
import { asText, evaluateExpression, expressionSchema, type Expression } from '../webhook/expression.ts';
import { statusFromWord } from '../webhook/status.ts';
import { hashKey, httpUrl, isObject, type Candidate } from './candidate.ts';
import { summaryOf } from './derive.ts';
import { destinationFromQuery } from './destination.ts';
import { oncallFromQuery } from './oncall.ts';
import { recognise } from './recognise.ts';

const optionsSchema = z
  .object({
    title: expressionSchema.optional(),
    description: expressionSchema.optional(),
    dedup_key: expressionSchema.optional(),
    status: expressionSchema.optional(),
    severity: expressionSchema.optional(),
    source_url: expressionSchema.optional(),
    cloudwatch_insufficient_data: z.enum(['ignore', 'firing', 'resolved']).default('ignore'),
  })
  .strict();

export type VersusOptions = z.output<typeof optionsSchema>;

const MAX_TITLE = 500;
const EXPRESSION_FIELDS = ['title', 'description', 'dedup_key', 'status', 'severity', 'source_url'] as const;

/**
 * Configured expressions override what the shape says, field by field. One that yields nothing, fails on this
 * payload, or yields something unusable leaves the shape's value in place (with a warning for the last two): the
 * payload is still an alert, and refusing it would lose the page.
 */
async function applyExpressions(c: Candidate, o: VersusOptions, payload: unknown, severityMap: Readonly<Record<string, Severity>> | undefined, warn: WarningCollector): Promise<void> {
  const values = await Promise.all(
    EXPRESSION_FIELDS.map(async (key) => {
      const expr: Expression | undefined = o[key];
      if (!expr) return undefined;
      const r = await evaluateExpression(expr, c.context, { payload });
      if (!r.ok) return void warn.add(c.field, `${key}: ${r.message}; kept what the payload says`);
      const t = asText(expr, r.value);
      if (!t.ok) return void warn.add(c.field, `${key}: ${t.message}; kept what the payload says`);
      return t.value;
    }),
  );
  const [title, description, dedupKey, status, severity, sourceUrl] = values;
  if (title !== undefined) {
    c.event.title = title;
    // The first versions keyed every payload without an id on its final title: keep finding those alerts.
    if (c.autoKey || c.keyFromTitle || !c.event.dedupKey) c.legacyTitle = title;
  }
  if (description !== undefined) c.event.description = description;
  if (dedupKey !== undefined) {
    c.event.dedupKey = dedupKey;
    c.keyFromTitle = false;
    delete c.legacyTitle;
  }
  if (status !== undefined) {
    const s = statusFromWord(status);
    if (s) c.event.status = s;
    else warn.add(c.field, `status: expression ${JSON.stringify(o.status!.source)} returned "${echo(status)}", expected firing or resolved; kept ${c.event.status ?? 'firing'}`);
  }
  if (severity !== undefined) {
    const s = severityFromWord(severity, severityMap);
    if (s) c.event.severity = s;
    else {
      delete c.event.severity;
      c.event.metadata = { ...c.event.metadata, raw_severity: severity };
    }
  }
  const url = httpUrl(sourceUrl);
  if (url) c.event.sourceUrl = url;
}

function finish(source: string, c: Candidate): AlertEvent {
  // Every shape names or derives a title; a payload with nothing readable in it still is an alert from this source.
  const title = c.event.title?.trim() || (isObject(c.context) ? summaryOf(c.context) : undefined) || `Alert from ${source} (no readable fields)`;
  const { title: _t, dedupKey, status, metadata, aliases: _a, ...rest } = c.event;
  const key = c.keyFromTitle || !dedupKey ? hashKey('title', title) : dedupKey;
  const legacy = c.legacyTitle?.trim() ? hashKey('title', c.legacyTitle.trim()) : undefined;
  return {
    source,
    dedupKey: key,
    status: (status ?? 'firing') as EventStatus,
    title: title.length > MAX_TITLE ? `${title.slice(0, MAX_TITLE - 1)}…` : title,
    ...rest,
    metadata: metadata as JsonObject,
    ...(legacy && legacy !== key ? { aliases: [legacy] } : {}),
  };
}

/**
 * A drop-in for Versus Incident senders: whatever was pointed at Versus' /api/incidents can point here. Known shapes
 * are understood without configuration; any other JSON gets a derived title and a stable identity; jsonata
 * expressions in the config adjust or replace any field. `?destination=` (or Versus' `?incidentio_other_alert_source=`)
 * picks a configured destination by name; `?oncall_enable=` and `?oncall_wait_minutes=` are kept on the alerts.
 */
export const versusSource: SourceType<VersusOptions, Promise<ParseOutcome<ParsedBatch>>> = {
  type: 'versus',
  options: optionsSchema,
  async parse(body, ctx) {
    const warn = warningCollector();
    const destination = destinationFromQuery(ctx.query);
    if (destination.warning) warn.add('', destination.warning);
    const oncall = oncallFromQuery(ctx.query);
    if (oncall.warning) warn.add('', oncall.warning);
    const batch = (events: AlertEvent[]): ParsedBatch => {
      const warnings = warn.list();
      return { events, ...(destination.value !== undefined ? { destination: destination.value } : {}), ...(warnings.length ? { warnings } : {}) };
    };
    if (Array.isArray(body) && body.length === 0) {
      warn.add('', 'the array is empty: no alerts in it');
      return ok(batch([]));
    }
    const r = recognise(body, ctx.source, ctx.options.cloudwatch_insufficient_data, ctx.severityMap);
    if (!r.ok) return { ok: false, problems: r.problems.slice(0, MAX_PROBLEMS) };
    const candidates = r.candidates.filter((c) => !c.skip);
    if (candidates.length > MAX_ALERTS_PER_REQUEST) {
      return { ok: false, problems: [{ field: '(body)', message: `at most ${MAX_ALERTS_PER_REQUEST} alerts per request, got ${candidates.length}` }] };
    }
    if (EXPRESSION_FIELDS.some((k) => ctx.options[k])) await Promise.all(candidates.map((c) => applyExpressions(c, ctx.options, body, ctx.severityMap, warn)));
    const events = candidates.map((c) => finish(ctx.source, c));
    if (oncall.enable !== undefined) for (const e of events) e.metadata = { ...e.metadata, oncall_enable: oncall.enable };
    if (oncall.waitMinutes !== undefined) for (const e of events) e.metadata = { ...e.metadata, oncall_wait_minutes: oncall.waitMinutes };
    return ok(batch(events));
  },
};
