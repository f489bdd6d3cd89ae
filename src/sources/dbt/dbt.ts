import { z } from 'zod';
import { SEVERITIES, type AlertEvent } from '../../domain/alert.ts';
import { ok, type ParseOutcome } from '../../domain/errors.ts';
import { MAX_ALERTS_PER_REQUEST } from '../alerts/alerts.ts';
import { MAX_PROBLEMS } from '../problems.ts';
import type { ParsedBatch, SourceType } from '../types.ts';
import { readUpload } from './artifacts.ts';
import { dbtEvent, type DbtOptions } from './event.ts';
import { linkTemplateProblem } from './link.ts';
import { indexManifest } from './manifest.ts';

const severity = z.enum(SEVERITIES);

const optionsSchema = z
  .object({
    project: z.string().trim().min(1, 'must not be empty').optional(),
    environment: z.string().trim().min(1, 'must not be empty').optional(),
    link_template: z
      .string()
      .trim()
      .superRefine((t, ctx) => {
        const problem = linkTemplateProblem(t);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      })
      .optional(),
    severity: z
      .object({ fail: severity, error: severity, warn: severity, 'runtime error': severity, 'partial success': severity })
      .partial()
      .strict()
      .default({}),
  })
  .strict();

/**
 * dbt artifacts: every failing node fires, every passing node resolves, skipped nodes change nothing. Accepts what
 * `tocsin dbt` uploads (`{ run_results, manifest, sources }`) and bare run_results.json / sources.json.
 */
export const dbtSource: SourceType<DbtOptions> = {
  type: 'dbt',
  options: optionsSchema,
  // The metadata keys dbtEvent sets (objects by dotted path): keep in step with event.ts (a test in
  // src/config/warnings.test.ts checks real artifacts against it).
  labelKeys: [
    'unique_id', 'resource_type', 'status', 'package', 'project', 'dbt_severity', 'owners', 'tags', 'environment',
    'test_description', 'description', 'model', 'column', 'failures', 'message', 'max_loaded_at', 'age_seconds',
    'criteria.warn_after.count', 'criteria.warn_after.period', 'criteria.error_after.count', 'criteria.error_after.period',
    'criteria.filter', 'dbt_version', 'invocation_id', 'execution_time', 'meta.*',
  ],
  parse(body, ctx): ParseOutcome<ParsedBatch> {
    const upload = readUpload(body);
    if (!upload.ok) return { ok: false, problems: upload.problems.slice(0, MAX_PROBLEMS) };
    const manifest = indexManifest(upload.value.manifest);
    // Keyed by identity: a source checked in both run_results and sources.json is one alert; the later artifact wins.
    const byKey = new Map<string, AlertEvent>();
    for (const artifact of upload.value.artifacts) {
      for (const result of artifact.results) {
        const event = dbtEvent(ctx.source, result, artifact, manifest, ctx.options);
        if (event) byKey.set(event.dedupKey, event);
      }
    }
    if (byKey.size > MAX_ALERTS_PER_REQUEST) {
      const message = `this upload would produce ${byKey.size} alerts; at most ${MAX_ALERTS_PER_REQUEST} per request (tocsin dbt splits large runs for you)`;
      return { ok: false, problems: [{ field: '(body)', message }] };
    }
    return ok({ events: [...byKey.values()] });
  },
};
