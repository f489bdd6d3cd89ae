import { z } from 'zod';
import type { AlertEvent, EventStatus, JsonObject, JsonValue, Severity } from '../../domain/alert.ts';
import { ok, type ParseOutcome } from '../../domain/errors.ts';
import { httpUrl } from '../http-url.ts';
import { MAX_PROBLEMS, problemsOf } from '../problems.ts';
import { severityFromWord } from '../severity-words.ts';
import type { ParsedBatch } from '../types.ts';
import { TEST_NOTIFICATION_WARNING } from './shape.ts';

/**
 * Grafana's legacy dashboard alerting (Grafana up to 10, removed in 11) posts one rule's state change per request:
 * `ruleId`, `ruleName`, `state`, `evalMatches`, `tags`, no `alerts` array.
 */
export function isLegacyGrafana(body: Record<string, unknown>): boolean {
  return !('alerts' in body) && 'state' in body && ('ruleId' in body || 'evalMatches' in body);
}

const legacySchema = z.object({
  ruleId: z.number({ invalid_type_error: 'must be a number' }),
  ruleName: z.string().optional(),
  title: z.string().optional(),
  state: z.string(),
  orgId: z.number().optional(),
  dashboardId: z.number().optional(),
  panelId: z.number().optional(),
  ruleUrl: z.string().optional(),
  imageUrl: z.string().optional(),
  message: z.string().optional(),
  evalMatches: z.array(z.unknown()).nullish(),
  tags: z.record(z.unknown()).nullish(),
});

/** `ok` is the rule back to normal; a paused rule will not say so any more. `alerting` and `no_data` fire. */
const RESOLVED_STATES = new Set(['ok', 'paused']);

/** The metadata keys that change with each evaluation: sent, but not an update by themselves. */
const VOLATILE = ['eval_matches', 'image_url'];

export interface LegacyContext {
  source: string;
  severityLabel: string;
  severityMap?: Readonly<Record<string, Severity>> | undefined;
}

/**
 * One legacy rule notification as one event, keyed by org and rule id. Grafana's legacy "Test" sends a made-up rule
 * (`Test notification`, org 0, a random or zero rule id) that never resolves: like the unified test notification, it
 * is fired and resolved at once under one fixed key, so it is recorded but never left open in incident.io.
 */
export function parseLegacyGrafana(body: Record<string, unknown>, ctx: LegacyContext): ParseOutcome<ParsedBatch> {
  const parsed = legacySchema.safeParse(body);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error).slice(0, MAX_PROBLEMS) };
  const b = parsed.data;
  const test = b.ruleName === 'Test notification' && (b.ruleId === 0 || !b.orgId);

  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.tags ?? {})) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') tags[k] = String(v);
  // `title` is "[Alerting] <rule>" or "[OK] <rule>": the rule name without the state is what stays the same.
  const name = b.ruleName?.trim() || b.title?.replace(/^\[[^\]]*\]\s*/, '').trim() || `Grafana rule ${b.ruleId}`;
  const labels: Record<string, string> = { alertname: name, ...tags };
  const rawSeverity = Object.hasOwn(labels, ctx.severityLabel) ? labels[ctx.severityLabel] : undefined;
  const severity = severityFromWord(rawSeverity, ctx.severityMap);

  const metadata: JsonObject = { rule_id: b.ruleId, rule_name: name, state: b.state };
  if (b.orgId !== undefined) metadata.org_id = b.orgId;
  if (b.dashboardId !== undefined) metadata.dashboard_id = b.dashboardId;
  if (b.panelId !== undefined) metadata.panel_id = b.panelId;
  if (Object.keys(tags).length) metadata.tags = tags;
  if (rawSeverity !== undefined && severity === undefined) metadata.raw_severity = rawSeverity;
  // Already JSON (a parsed body): no copy through JSON.stringify, which overflows the stack on a value nested ~10,000 deep.
  if (b.evalMatches?.length) metadata.eval_matches = b.evalMatches as JsonValue[];
  const image = httpUrl(b.imageUrl);
  if (image) metadata.image_url = image;
  if (test) metadata.test_notification = true;

  const status: EventStatus = RESOLVED_STATES.has(b.state.toLowerCase()) ? 'resolved' : 'firing';
  const event: AlertEvent = {
    source: ctx.source,
    dedupKey: test ? 'legacy:test' : `legacy:${b.orgId ?? 0}:${b.ruleId}`,
    status,
    title: name.length > 250 ? `${name.slice(0, 249)}…` : name,
    metadata,
    labels,
  };
  if (b.message?.trim()) event.description = b.message.trim();
  if (severity !== undefined) event.severity = severity;
  const url = httpUrl(b.ruleUrl);
  if (url) event.sourceUrl = url;
  const volatile = VOLATILE.filter((k) => k in metadata);
  if (volatile.length) event.volatile = volatile;

  if (!test) return ok({ events: [event] });
  return ok({
    events: [
      { ...event, status: 'firing' },
      { ...event, status: 'resolved' },
    ],
    warnings: [TEST_NOTIFICATION_WARNING],
  });
}
