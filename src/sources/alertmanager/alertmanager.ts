import { z } from 'zod';
import type { AlertEvent } from '../../domain/alert.ts';
import { ok, type FieldProblem, type ParseOutcome } from '../../domain/errors.ts';
import { MAX_ALERTS_PER_REQUEST } from '../alerts/alerts.ts';
import type { ParsedBatch, SourceType } from '../types.ts';
import { notifiedAlertEvent, type NotificationGroup } from './event.ts';
import { MAX_PROBLEMS, problemsOf } from '../problems.ts';

export interface AlertmanagerOptions {
  /** The label that carries the alert's severity (`severity` in most rule sets). */
  severity_label: string;
}

const stringMap = z.record(z.string({ invalid_type_error: 'label values must be strings' }), {
  invalid_type_error: 'must be an object of strings',
});

// Only what tocsin reads; zod drops the rest, so newer Alertmanager fields never break ingestion.
const alertSchema = z.object({
  status: z.enum(['firing', 'resolved'], { invalid_type_error: 'must be "firing" or "resolved"' }),
  labels: stringMap,
  annotations: stringMap.optional(),
  startsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1, 'must not be empty'),
});

const notificationSchema = z.object({
  version: z.union([z.string(), z.number()]).optional(),
  receiver: z.string().optional(),
  groupKey: z.string().optional(),
  externalURL: z.string().optional(),
  groupLabels: stringMap.optional(),
  alerts: z.array(z.unknown(), { invalid_type_error: 'must be an array of alerts' }),
});

/**
 * Webhook format version 4 is the only one Alertmanager has sent since 2017. A missing version is accepted (hand-made
 * test payloads omit it); another major is refused, because its fields may not mean what we read them as.
 */
function versionProblem(version: string | number | undefined, body: Record<string, unknown>): FieldProblem | undefined {
  if (version === undefined) return undefined;
  const major = String(version).split('.')[0];
  if (major === '4') return undefined;
  const hint = 'orgId' in body ? ' (this looks like a Grafana webhook: use a source of type versus for it)' : '';
  return { field: 'version', message: `unsupported Alertmanager webhook version "${version}", expected "4"${hint}` };
}

function parseNotification(body: unknown, source: string, severityLabel: string): ParseOutcome<ParsedBatch> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, problems: [{ field: '(body)', message: 'must be an Alertmanager webhook object with an alerts array' }] };
  }
  const parsed = notificationSchema.safeParse(body);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error).slice(0, MAX_PROBLEMS) };
  const n = parsed.data;
  const versionIssue = versionProblem(n.version, body as Record<string, unknown>);
  if (versionIssue) return { ok: false, problems: [versionIssue] };
  if (n.alerts.length === 0) return { ok: false, problems: [{ field: 'alerts', message: 'the array is empty' }] };
  if (n.alerts.length > MAX_ALERTS_PER_REQUEST) {
    const message = `at most ${MAX_ALERTS_PER_REQUEST} alerts per request, got ${n.alerts.length} (set max_alerts in webhook_configs)`;
    return { ok: false, problems: [{ field: 'alerts', message }] };
  }

  const group: NotificationGroup = { receiver: n.receiver, groupKey: n.groupKey, externalURL: n.externalURL, groupLabels: n.groupLabels };
  const events: AlertEvent[] = [];
  const problems: FieldProblem[] = [];
  n.alerts.forEach((raw, i) => {
    const a = alertSchema.safeParse(raw);
    if (!a.success) {
      problems.push(...problemsOf(a.error, `alerts[${i}]`));
      return;
    }
    events.push(notifiedAlertEvent(source, { ...a.data, annotations: a.data.annotations ?? {} }, group, severityLabel));
  });
  return problems.length ? { ok: false, problems: problems.slice(0, MAX_PROBLEMS) } : ok({ events });
}

/** Prometheus Alertmanager's webhook receiver (`webhook_configs`), format version 4: one event per alert. */
export const alertmanagerSource: SourceType<AlertmanagerOptions> = {
  type: 'alertmanager',
  options: z
    .object({ severity_label: z.string().trim().min(1, 'must not be empty').default('severity') })
    .strict(),
  parse: (body, ctx) => parseNotification(body, ctx.source, ctx.options.severity_label),
};
