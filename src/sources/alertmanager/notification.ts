import { z } from 'zod';
import type { AlertEvent, Severity } from '../../domain/alert.ts';
import { ok, type FieldProblem, type ParseOutcome } from '../../domain/errors.ts';
import { grafanaAlertEvents, grafanaFields } from '../grafana/event.ts';
import { isLegacyGrafana, parseLegacyGrafana } from '../grafana/legacy.ts';
import { isTestNotification, looksLikeGrafana, TEST_NOTIFICATION_WARNING } from '../grafana/shape.ts';
import { echo, MAX_PROBLEMS, problemsOf } from '../problems.ts';
import type { ParsedBatch } from '../types.ts';
import { endedBeforeReceipt } from './ends-at.ts';
import { notifiedAlertEvent, type NotificationGroup } from './event.ts';
import { labelsFingerprint } from './fingerprint.ts';

/**
 * A storm is when paging matters most, and Alertmanager does not retry a 4xx: one group notification may carry this
 * many alerts. Past it the rest are left unread (and reported) rather than the whole group refused, as Alertmanager's
 * own `max_alerts` does; the bound keeps one request to a few seconds of work.
 */
export const MAX_ALERTS_PER_NOTIFICATION = 50_000;

/**
 * Default `body_limit` of the `alertmanager` and `grafana` source types. A kube-prometheus alert is about 1.1 KB in a
 * webhook body (1,000 of them: 1.09 MB), so 32 MiB holds a group of about 30,000.
 */
export const NOTIFICATION_BODY_LIMIT = 32 * 1024 * 1024;

/** The options both types share. */
export interface NotificationOptions {
  /** The label that carries the alert's severity (`severity` in most rule sets). */
  severity_label: string;
}

export const notificationOptions = z
  .object({ severity_label: z.string().trim().min(1, 'must not be empty').default('severity') })
  .strict();

const stringMap = z.record(z.string({ invalid_type_error: 'label values must be strings' }), {
  invalid_type_error: 'must be an object of strings',
});

// Only what tocsin reads; zod drops the rest, so newer fields never break ingestion. Grafana's own fields are read
// leniently from the raw alert (grafanaFields): a value tocsin only passes along never costs a page.
const alertSchema = z.object({
  status: z.enum(['firing', 'resolved'], { invalid_type_error: 'must be "firing" or "resolved"' }),
  labels: stringMap,
  annotations: stringMap.nullish(),
  startsAt: z.string().optional(),
  // Read only to tell a stale "firing" (ends-at.ts); never stored, since it changes on every repeat.
  endsAt: z.string().nullish(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

const notificationSchema = z.object({
  version: z.union([z.string(), z.number()]).optional(),
  receiver: z.string().optional(),
  groupKey: z.string().optional(),
  externalURL: z.string().optional(),
  groupLabels: stringMap.nullish(),
  alerts: z.array(z.unknown(), { invalid_type_error: 'must be an array of alerts' }),
});

type Flavour = 'alertmanager' | 'grafana';

/**
 * Alertmanager has sent webhook format "4" since 2017; Grafana's webhook contact point sends "1" on the same shape
 * plus its own fields. A missing version is read by the fields (hand-made payloads omit it); another version is
 * refused, because its fields may not mean what we read them as.
 */
function flavourOf(version: string | number | undefined, body: Record<string, unknown>): Flavour | FieldProblem {
  if (version === undefined) return looksLikeGrafana(body) ? 'grafana' : 'alertmanager';
  const major = String(version).split('.')[0];
  if (major === '4') return 'alertmanager';
  if (major === '1') return 'grafana';
  return { field: 'version', message: `unsupported webhook version "${echo(version)}": expected "4" (Alertmanager) or "1" (Grafana)` };
}

export interface NotificationContext {
  source: string;
  /** When the request arrived (epoch ms): a "firing" alert whose endsAt passed before then is resolved. */
  receivedAt?: number | undefined;
  options: NotificationOptions;
  severityMap?: Readonly<Record<string, Severity>> | undefined;
}

/**
 * An Alertmanager or Grafana group notification: one event per alert, by the alert's own status and fingerprint.
 * Both source types read both senders, so a Grafana contact point pointed at an `alertmanager` source just works;
 * Grafana's legacy alerting body (one rule, no `alerts`) too.
 */
export function parseNotification(body: unknown, ctx: NotificationContext): ParseOutcome<ParsedBatch> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, problems: [{ field: '(body)', message: 'must be an Alertmanager or Grafana webhook object with an alerts array' }] };
  }
  if (isLegacyGrafana(body as Record<string, unknown>)) {
    return parseLegacyGrafana(body as Record<string, unknown>, { source: ctx.source, severityLabel: ctx.options.severity_label, severityMap: ctx.severityMap });
  }
  const parsed = notificationSchema.safeParse(body);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error).slice(0, MAX_PROBLEMS) };
  const n = parsed.data;
  const flavour = flavourOf(n.version, body as Record<string, unknown>);
  if (typeof flavour !== 'string') return { ok: false, problems: [flavour] };
  if (n.alerts.length === 0) return { ok: false, problems: [{ field: 'alerts', message: 'the array is empty' }] };

  const warnings: string[] = [];
  const raws = n.alerts.length > MAX_ALERTS_PER_NOTIFICATION ? n.alerts.slice(0, MAX_ALERTS_PER_NOTIFICATION) : n.alerts;
  if (raws.length < n.alerts.length) {
    warnings.push(
      `${n.alerts.length - raws.length} alerts beyond the first ${MAX_ALERTS_PER_NOTIFICATION} of this notification were not read: ` +
        `set max_alerts (at most ${MAX_ALERTS_PER_NOTIFICATION}) on the webhook, or group alerts more finely`,
    );
  }

  const group: NotificationGroup = { receiver: n.receiver, groupKey: n.groupKey, externalURL: n.externalURL, groupLabels: n.groupLabels ?? undefined };
  const orgId = (body as Record<string, unknown>).orgId;
  const test = flavour === 'grafana' && isTestNotification(n.groupKey, raws);
  const events: AlertEvent[] = [];
  const problems: FieldProblem[] = [];
  let ended = 0;
  raws.forEach((raw, i) => {
    const a = alertSchema.safeParse(raw);
    if (!a.success) {
      if (problems.length < MAX_PROBLEMS) problems.push(...problemsOf(a.error, `alerts[${i}]`));
      return;
    }
    const { fingerprint, endsAt, ...rest } = a.data;
    const alert = { ...rest, annotations: a.data.annotations ?? {}, fingerprint: fingerprint || labelsFingerprint(a.data.labels) };
    if (endedBeforeReceipt(alert.status, endsAt ?? undefined, ctx.receivedAt)) {
      alert.status = 'resolved';
      ended++;
    }
    if (flavour === 'alertmanager') {
      events.push(notifiedAlertEvent(ctx.source, alert, group, ctx.options.severity_label, {}, ctx.severityMap));
    } else {
      const fields = grafanaFields(raw, orgId);
      events.push(...grafanaAlertEvents(ctx.source, alert, fields, group, { severityLabel: ctx.options.severity_label, severityMap: ctx.severityMap, test }));
    }
  });
  if (problems.length) return { ok: false, problems: problems.slice(0, MAX_PROBLEMS) };
  if (test) warnings.push(TEST_NOTIFICATION_WARNING);
  if (ended) warnings.push(`${ended} alert(s) said "firing" but their endsAt had already passed: resolved, as Alertmanager reads an alert whose end has passed`);
  return ok(warnings.length ? { events, warnings } : { events });
}
