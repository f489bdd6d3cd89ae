import type { Severity } from '../../domain/alert.ts';
import type { FieldProblem } from '../../domain/errors.ts';
import { echo } from '../problems.ts';
import { alertGroupCandidates, isGrafana } from './alert-groups.ts';
import { isObject, text, type Candidate, type Recognised } from './candidate.ts';
import { cloudWatchCandidate, isCloudWatchAlarm, type InsufficientData } from './cloudwatch.ts';
import { genericCandidate } from './generic.ts';
import { isSentry, sentryCandidate } from './sentry.ts';

const isAlertGroup = (o: Record<string, unknown>) => Array.isArray(o.alerts) && o.alerts.length > 0 && o.alerts.every((a) => isObject(a) && isObject(a.labels));

type SeverityMap = Readonly<Record<string, Severity>> | undefined;

function snsCandidates(body: Record<string, unknown>, insufficient: InsufficientData, severityMap: SeverityMap): Candidate[] | FieldProblem {
  if (body.Type === 'SubscriptionConfirmation') {
    const url = text(body.SubscribeURL);
    return {
      field: 'Type',
      // The ingest route confirms signed SNS subscriptions before any parser runs (src/sns/): this is reached only
      // by a body that calls itself a confirmation but did not come through that path (posted by hand, say).
      message: `an SNS subscription confirmation that tocsin could not confirm itself; confirm it in the AWS console${url ? ` or open ${echo(url, 500)}` : ''}`,
    };
  }
  if (body.Type !== 'Notification') return { field: 'Type', message: `SNS message of type "${echo(body.Type)}" carries no alert` };
  let message: unknown = body.Message;
  try {
    message = JSON.parse(String(body.Message));
  } catch {
    // Not JSON: an SNS notification with a plain-text message, read as a generic alert below.
  }
  if (isCloudWatchAlarm(message)) return [cloudWatchCandidate(message, 'Message', insufficient)];
  const title = text(body.Subject) ?? text(body.Message);
  // No `title: undefined` when neither says anything: metadata holds JSON values only.
  const generic = isObject(message) ? message : { ...(title !== undefined ? { title } : {}), message: body.Message, topic: body.TopicArn };
  return [genericCandidate(generic, 'Message', severityMap)];
}

/**
 * What Versus Incident receives, told apart by shape: Alertmanager and Grafana group notifications (one alert per
 * entry of `alerts[]`), Sentry webhooks, CloudWatch alarms via SNS, and anything else; an array is one payload per
 * element.
 */
export function recognise(body: unknown, source: string, insufficient: InsufficientData, severityMap?: SeverityMap): Recognised {
  const one = (item: unknown, path: string): { shape: string; candidates: Candidate[] } | FieldProblem => {
    if (isObject(item)) {
      if (typeof item.Type === 'string' && 'TopicArn' in item) {
        const c = snsCandidates(item, insufficient, severityMap);
        return Array.isArray(c) ? { shape: 'sns', candidates: c } : { field: path ? `${path}.${c.field}` : c.field, message: c.message };
      }
      if (isCloudWatchAlarm(item)) return { shape: 'cloudwatch', candidates: [cloudWatchCandidate(item, path, insufficient)] };
      if (isAlertGroup(item)) {
        const read = alertGroupCandidates(item, source, severityMap);
        const at = (field: string) => (path ? `${path}.${field}` : field);
        if (!Array.isArray(read)) return { field: at(read.field), message: read.message };
        return { shape: isGrafana(item) ? 'grafana' : 'alertmanager', candidates: read.map((c) => ({ ...c, field: at(c.field) })) };
      }
      if (isSentry(item)) {
        const c = sentryCandidate(item, severityMap);
        return { shape: 'sentry', candidates: [{ ...c, field: path ? `${path}.${c.field}` : c.field }] };
      }
    }
    return { shape: 'generic', candidates: [genericCandidate(item, path, severityMap)] };
  };
  if (Array.isArray(body)) {
    if (body.length === 0) return { ok: false, problems: [{ field: '(body)', message: 'the array is empty' }] };
    const candidates: Candidate[] = [];
    const problems: FieldProblem[] = [];
    body.forEach((item, i) => {
      const r = one(item, `[${i}]`);
      if ('message' in r) problems.push(r);
      else candidates.push(...r.candidates);
    });
    return problems.length ? { ok: false, problems } : { ok: true, shape: 'array', candidates };
  }
  if (!isObject(body)) return { ok: false, problems: [{ field: '(body)', message: 'must be a JSON object or an array of objects' }] };
  const r = one(body, '');
  return 'message' in r ? { ok: false, problems: [r] } : { ok: true, shape: r.shape, candidates: r.candidates };
}
