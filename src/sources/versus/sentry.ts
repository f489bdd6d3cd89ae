import type { EventStatus, JsonObject, Severity } from '../../domain/alert.ts';
import { severityFromWord } from '../severity-words.ts';
import { httpUrl, isObject, text, type Candidate } from './candidate.ts';

/** Sentry integration-platform webhooks: issue alerts (`data.event`), issues (`data.issue`), metric alerts. */
export function isSentry(body: Record<string, unknown>): boolean {
  return typeof body.action === 'string' && isObject(body.data) && (isObject(body.data.issue) || isObject(body.data.event) || isObject(body.data.metric_alert));
}

const put = (m: JsonObject, key: string, v: unknown) => {
  const t = text(v);
  if (t !== undefined) m[key] = t;
};

/**
 * Issue alerts and issue webhooks share one key, the issue id, so Sentry resolving (or ignoring) the issue resolves
 * the alert an issue-alert rule opened. Metric alerts are keyed by their alert rule.
 */
export function sentryCandidate(body: Record<string, unknown>, severityMap?: Readonly<Record<string, Severity>>): Candidate {
  const data = body.data as Record<string, unknown>;
  const action = String(body.action);
  const metadata: JsonObject = {};

  if (isObject(data.metric_alert)) {
    const m = data.metric_alert;
    const rule = isObject(m.alert_rule) ? m.alert_rule : {};
    const ruleId = text(rule.id) ?? text(m.id);
    put(metadata, 'sentry_resource', 'metric_alert');
    put(metadata, 'alert_rule_id', rule.id);
    put(metadata, 'aggregate', rule.aggregate);
    put(metadata, 'query', rule.query);
    const title = text(rule.name) ?? text(data.description_title);
    return {
      field: 'data.metric_alert',
      context: body,
      event: {
        ...(ruleId ? { dedupKey: `sentry:metric_alert:${ruleId}` } : {}),
        status: action === 'resolved' ? 'resolved' : 'firing',
        ...(title ? { title } : {}),
        ...(text(data.description_text) ? { description: text(data.description_text)! } : {}),
        ...(action === 'critical' ? { severity: 'critical' as const } : action === 'warning' ? { severity: 'warning' as const } : {}),
        ...(httpUrl(text(data.web_url)) ? { sourceUrl: text(data.web_url)! } : {}),
        metadata,
      },
      ...(ruleId ? {} : { keyFromTitle: true }),
    };
  }

  const issue = isObject(data.issue) ? data.issue : undefined;
  const ev = isObject(data.event) ? data.event : undefined;
  const item = (issue ?? ev)!;
  const issueId = text(issue?.id) ?? text(ev?.issue_id);
  const level = text(item.level);
  // An issue webhook says where the issue stands now; an issue alert is always a firing.
  const state = text(issue?.status) ?? action;
  const status: EventStatus = issue && ['resolved', 'ignored', 'archived'].includes(state) ? 'resolved' : 'firing';
  put(metadata, 'sentry_resource', issue ? 'issue' : 'event_alert');
  put(metadata, 'issue_id', issueId);
  put(metadata, 'short_id', issue?.shortId);
  put(metadata, 'project', isObject(issue?.project) ? issue.project.slug : ev?.project);
  put(metadata, 'level', level);
  put(metadata, 'culprit', item.culprit);
  put(metadata, 'triggered_rule', data.triggered_rule);
  if (level && !severityFromWord(level, severityMap)) metadata.raw_severity = level;
  const details = isObject(item.metadata) ? [text(item.metadata.type), text(item.metadata.value)].filter(Boolean).join(': ') : '';
  const description = [details, text(item.culprit) ? `in ${text(item.culprit)}` : ''].filter(Boolean).join('\n');
  const url = httpUrl(text(item.web_url)) ?? httpUrl(text(item.permalink));
  const title = text(item.title) ?? text(issue?.shortId);
  const severity = severityFromWord(level, severityMap);
  return {
    field: issue ? 'data.issue' : 'data.event',
    context: body,
    event: {
      ...(issueId ? { dedupKey: `sentry:issue:${issueId}` } : {}),
      status,
      ...(title ? { title } : {}),
      ...(description ? { description } : {}),
      ...(severity ? { severity } : {}),
      ...(url ? { sourceUrl: url } : {}),
      metadata,
    },
    ...(issueId ? {} : { keyFromTitle: true }),
  };
}

