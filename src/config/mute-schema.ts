import { z } from 'zod';
import type { ConfigProblem } from './expand.ts';
import type { InhibitRule } from '../mute/inhibit.ts';
import { parseMatchers } from '../mute/matchers.ts';
import type { MuteRules } from '../mute/decide.ts';
import { parseTimeInterval, type TimeInterval } from '../mute/time-intervals.ts';

/** Alertmanager's `time_intervals` entries, validated further by parseTimeInterval (mute/time-intervals.ts). */
const stringList = z.array(z.union([z.string(), z.number().transform(String)]));
const timeInterval = z
  .object({
    times: z.array(z.object({ start_time: z.string(), end_time: z.string() }).strict()).optional(),
    weekdays: stringList.optional(),
    days_of_month: stringList.optional(),
    months: stringList.optional(),
    years: stringList.optional(),
    location: z.string().optional(),
  })
  .strict();

export const timeIntervalsSchema = z.array(z.object({ name: z.string().min(1), time_intervals: z.array(timeInterval) }).strict());

/** Matchers as Alertmanager writes them: a list of `name="value"` strings (or one string of them). */
const matcherList = z.union([z.string(), z.array(z.string())]);

export const inhibitRulesSchema = z.array(
  z
    .object({
      source_matchers: matcherList,
      target_matchers: matcherList,
      equal: z.array(z.string().min(1)).default([]),
    })
    .strict(),
);

/** Keys a route gains (spread into the route's schema in schema.ts). */
export const routeMuteKeys = {
  mute_time_intervals: z.array(z.string().min(1)).optional(),
  active_time_intervals: z.array(z.string().min(1)).optional(),
};

export type RawTimeIntervals = z.infer<typeof timeIntervalsSchema>;
export type RawInhibitRules = z.infer<typeof inhibitRulesSchema>;

const pathOf = (parts: (string | number)[]) => parts.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');

/** The named intervals and inhibit rules, every problem with its key path. */
export function compileMuteRules(intervals: RawTimeIntervals | undefined, inhibit: RawInhibitRules | undefined, problems: ConfigProblem[]): MuteRules {
  const named = new Map<string, TimeInterval[]>();
  for (const [i, entry] of (intervals ?? []).entries()) {
    if (named.has(entry.name)) problems.push({ path: `time_intervals[${i}].name`, message: `"${entry.name}" is defined twice` });
    const list: TimeInterval[] = [];
    for (const [j, raw] of entry.time_intervals.entries()) {
      const r = parseTimeInterval(raw);
      if (r.ok) list.push(r.value);
      else problems.push({ path: `time_intervals[${i}].time_intervals[${j}]${pathOf(r.path)}`, message: r.message });
    }
    named.set(entry.name, list);
  }
  const rules: InhibitRule[] = [];
  for (const [i, raw] of (inhibit ?? []).entries()) {
    const source = parseMatchers(raw.source_matchers);
    const target = parseMatchers(raw.target_matchers);
    if (!source.ok) problems.push({ path: `inhibit_rules[${i}].source_matchers`, message: source.message });
    if (!target.ok) problems.push({ path: `inhibit_rules[${i}].target_matchers`, message: target.message });
    if (source.ok && target.ok) rules.push({ source: source.matchers, target: target.matchers, equal: raw.equal });
  }
  return { intervals: named, inhibitRules: rules };
}

export type RouteIntervals = { muteTimeIntervals?: string[]; activeTimeIntervals?: string[] };

/** A route's interval names must be defined under `time_intervals`. */
export function checkRouteIntervals(
  route: { mute_time_intervals?: string[] | undefined; active_time_intervals?: string[] | undefined },
  index: number,
  rules: MuteRules,
  problems: ConfigProblem[],
): RouteIntervals {
  const out: RouteIntervals = {};
  for (const key of ['mute_time_intervals', 'active_time_intervals'] as const) {
    const names = route[key];
    if (!names) continue;
    for (const [j, n] of names.entries()) {
      if (!rules.intervals.has(n)) problems.push({ path: `routes[${index}].${key}[${j}]`, message: `unknown time interval "${n}" (defined under time_intervals: ${[...rules.intervals.keys()].join(', ') || 'none'})` });
    }
    if (key === 'mute_time_intervals') out.muteTimeIntervals = names;
    else out.activeTimeIntervals = names;
  }
  return out;
}
