import { z } from 'zod';
import type { AlertEvent, EventStatus, JsonObject } from '../../domain/alert.ts';
import { ok, type FieldProblem, type ParseOutcome } from '../../domain/errors.ts';
import { MAX_ALERTS_PER_REQUEST } from '../alerts/alerts.ts';
import { MAX_PROBLEMS } from '../problems.ts';
import { severityFromWord } from '../severity-words.ts';
import type { ParsedBatch, SourceType } from '../types.ts';
import { asText, evaluateExpression, expressionSchema, type Expression } from '../webhook/expression.ts';
import { statusFromWord } from '../webhook/status.ts';
import { hashKey, httpUrl, type Candidate } from './candidate.ts';
import { destinationFromQuery } from './destination.ts';
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

/** Configured expressions override what the shape says, field by field; an expression yielding nothing does not. */
async function applyExpressions(c: Candidate, o: VersusOptions, payload: unknown, problems: FieldProblem[]): Promise<void> {
  const at = (f: string) => (c.field ? `${c.field}.${f}` : f);
  const values = await Promise.all(
    EXPRESSION_FIELDS.map(async (key) => {
      const expr: Expression | undefined = o[key];
      if (!expr) return undefined;
      const r = await evaluateExpression(expr, c.context, { payload });
      if (!r.ok) return void problems.push({ field: at(key), message: r.message });
      const t = asText(expr, r.value);
      if (!t.ok) return void problems.push({ field: at(key), message: t.message });
      return t.value;
    }),
  );
  const [title, description, dedupKey, status, severity, sourceUrl] = values;
  if (title !== undefined) c.event.title = title;
  if (description !== undefined) c.event.description = description;
  if (dedupKey !== undefined) {
    c.event.dedupKey = dedupKey;
    c.keyFromTitle = false;
  }
  if (status !== undefined) {
    const s = statusFromWord(status);
    if (s) c.event.status = s;
    else problems.push({ field: at('status'), message: `expression ${JSON.stringify(o.status!.source)} returned "${status}", expected firing or resolved` });
  }
  if (severity !== undefined) {
    const s = severityFromWord(severity);
    if (s) c.event.severity = s;
    else {
      delete c.event.severity;
      c.event.metadata = { ...c.event.metadata, raw_severity: severity };
    }
  }
  const url = httpUrl(sourceUrl);
  if (url) c.event.sourceUrl = url;
}

function finish(source: string, c: Candidate, problems: FieldProblem[]): AlertEvent | undefined {
  const title = c.event.title?.trim();
  if (!title) {
    problems.push({
      field: c.field || '(body)',
      message: 'no title found (none of title, name, summary, message): set the title option to a jsonata expression, e.g. title: "ServiceName & \': \' & Logs"',
    });
    return undefined;
  }
  const { title: _t, dedupKey, status, metadata, ...rest } = c.event;
  return {
    source,
    dedupKey: c.keyFromTitle || !dedupKey ? hashKey('title', title) : dedupKey,
    status: (status ?? 'firing') as EventStatus,
    title: title.length > MAX_TITLE ? `${title.slice(0, MAX_TITLE - 1)}…` : title,
    ...rest,
    metadata: metadata as JsonObject,
  };
}

/**
 * A drop-in for Versus Incident senders: whatever was pointed at Versus' /api/incidents can point here. Known shapes
 * are understood without configuration; jsonata expressions in the config adjust or replace any field.
 * `?destination=` (or Versus' `?incidentio_other_alert_source=`) picks a configured destination by name.
 */
export const versusSource: SourceType<VersusOptions, Promise<ParseOutcome<ParsedBatch>>> = {
  type: 'versus',
  options: optionsSchema,
  async parse(body, ctx) {
    const destination = destinationFromQuery(ctx.query);
    if (!destination.ok) return { ok: false, problems: [destination.problem] };
    const r = recognise(body, ctx.source, ctx.options.cloudwatch_insufficient_data);
    if (!r.ok) return { ok: false, problems: r.problems.slice(0, MAX_PROBLEMS) };
    const candidates = r.candidates.filter((c) => !c.skip);
    if (candidates.length > MAX_ALERTS_PER_REQUEST) {
      return { ok: false, problems: [{ field: '(body)', message: `at most ${MAX_ALERTS_PER_REQUEST} alerts per request, got ${candidates.length}` }] };
    }
    const perCandidate = await Promise.all(
      candidates.map(async (c) => {
        const problems: FieldProblem[] = [];
        await applyExpressions(c, ctx.options, body, problems);
        const event = problems.length ? undefined : finish(ctx.source, c, problems);
        return { event, problems };
      }),
    );
    const problems = perCandidate.flatMap((p) => p.problems);
    if (problems.length) return { ok: false, problems: problems.slice(0, MAX_PROBLEMS) };
    const batch: ParsedBatch = { events: perCandidate.flatMap((p) => (p.event ? [p.event] : [])) };
    if (destination.value !== undefined) batch.destination = destination.value;
    return ok(batch);
  },
};
