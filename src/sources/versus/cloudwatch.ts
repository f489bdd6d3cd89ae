import type { EventStatus, JsonObject } from '../../domain/alert.ts';
import { isObject, text, type Candidate } from './candidate.ts';

export type InsufficientData = 'ignore' | 'firing' | 'resolved';

/** A CloudWatch alarm state change, as SNS delivers it in `Message` (or as posted directly). */
export function isCloudWatchAlarm(v: unknown): v is Record<string, unknown> {
  // A blank name is no alarm to speak of (no title, no console link): such a payload is read as any other JSON.
  return isObject(v) && typeof v.AlarmName === 'string' && v.AlarmName.trim() !== '' && typeof v.NewStateValue === 'string';
}

/** `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:name` → `eu-west-1`; the message's `Region` is a display name. */
const regionOf = (arn: string | undefined) => arn?.split(':')[3] || undefined;

/**
 * ALARM fires and OK resolves. INSUFFICIENT_DATA means CloudWatch cannot tell (every new alarm starts there), so by
 * default it changes nothing; `cloudwatch_insufficient_data` can make it fire or resolve.
 */
export function cloudWatchCandidate(alarm: Record<string, unknown>, field: string, insufficient: InsufficientData): Candidate {
  const state = String(alarm.NewStateValue).toUpperCase();
  const status: EventStatus | undefined = state === 'ALARM' ? 'firing' : state === 'OK' ? 'resolved' : state === 'INSUFFICIENT_DATA' && insufficient !== 'ignore' ? insufficient : undefined;
  const arn = text(alarm.AlarmArn);
  const name = text(alarm.AlarmName)!;
  const region = regionOf(arn);
  const trigger = isObject(alarm.Trigger) ? alarm.Trigger : {};
  const metadata: JsonObject = { alarm_name: name, state };
  const put = (key: string, v: unknown) => {
    const t = text(v);
    if (t !== undefined) metadata[key] = t;
  };
  put('alarm_arn', arn);
  put('account_id', alarm.AWSAccountId);
  put('region', region ?? alarm.Region);
  put('previous_state', alarm.OldStateValue);
  put('state_change_time', alarm.StateChangeTime);
  put('namespace', trigger.Namespace);
  put('metric_name', trigger.MetricName);
  if (Array.isArray(trigger.Dimensions)) metadata.dimensions = trigger.Dimensions as JsonObject[string];
  const description = [text(alarm.AlarmDescription), text(alarm.NewStateReason)].filter(Boolean).join('\n\n');
  return {
    field,
    context: alarm,
    event: {
      dedupKey: arn ?? `cloudwatch:${text(alarm.AWSAccountId) ?? ''}:${text(alarm.Region) ?? ''}:${name}`,
      ...(status ? { status } : {}),
      title: name,
      ...(description ? { description } : {}),
      ...(region ? { sourceUrl: `https://console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(name.toWellFormed())}` } : {}),
      metadata,
    },
    ...(status ? {} : { skip: true }),
  };
}
