import { z } from 'zod';
import { SEVERITIES, type AlertEvent, type JsonObject } from '../../domain/alert.ts';
import { ok, type FieldProblem, type ParseOutcome } from '../../domain/errors.ts';
import type { ParsedBatch, SourceType } from '../types.ts';

/** One request may carry up to this many alerts; more is a 400 rather than a slow, huge transaction. */
export const MAX_ALERTS_PER_REQUEST = 1000;

const nonBlank = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const alertSchema = z
  .object({
    title: nonBlank(1000),
    status: z.enum(['firing', 'resolved']).default('firing'),
    dedup_key: nonBlank(2000).optional(),
    description: z.string().max(100_000, 'must be at most 100000 characters').optional(),
    severity: z.enum(SEVERITIES).optional(),
    metadata: z.record(z.unknown()).optional(),
    source_url: z.string().url('must be an absolute URL').optional(),
  })
  .strict();

type NativeAlert = z.infer<typeof alertSchema>;

function toEvent(source: string, a: NativeAlert): AlertEvent {
  const event: AlertEvent = {
    source,
    // Without an explicit key the title is the identity: the same title is the same alert (documented in README).
    dedupKey: a.dedup_key ?? a.title,
    status: a.status,
    title: a.title,
    metadata: (a.metadata ?? {}) as JsonObject,
  };
  if (a.description !== undefined && a.description !== '') event.description = a.description;
  if (a.severity !== undefined) event.severity = a.severity;
  if (a.source_url !== undefined) event.sourceUrl = a.source_url;
  return event;
}

function problemsOf(error: z.ZodError, prefix: string): FieldProblem[] {
  return error.issues.map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
    const field = `${prefix}${path}`.replace(/^\./, '') || '(body)';
    const message = i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message;
    return { field, message };
  });
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
    items.forEach((item, i) => {
      const prefix = Array.isArray(body) ? `[${i}]` : '';
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        problems.push({ field: prefix || '(body)', message: 'must be a JSON object' });
        return;
      }
      const parsed = alertSchema.safeParse(item);
      if (parsed.success) events.push(toEvent(ctx.source, parsed.data));
      else problems.push(...problemsOf(parsed.error, prefix));
    });
    return problems.length ? { ok: false, problems: problems.slice(0, 20) } : ok({ events });
  },
};
