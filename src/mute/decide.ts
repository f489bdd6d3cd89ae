import type { Labels } from '../domain/labels.ts';
import type { Matcher } from '../routing/matchers.ts';
import { matchesAll } from '../routing/matchers.ts';
import type { Route } from '../routing/routes.ts';
import { inhibitedBy, type InhibitRule, type LabelledAlert } from './inhibit.ts';
import { allMatch } from './matchers.ts';
import { anyContains, type TimeInterval } from './time-intervals.ts';

/** The config side of muting: named intervals the routes refer to, and the inhibit rules. */
export interface MuteRules {
  intervals: ReadonlyMap<string, readonly TimeInterval[]>;
  inhibitRules: readonly InhibitRule[];
}

export interface ActiveSilence {
  id: string;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
}

/** What changes at run time: silences not yet ended and the active alerts that may inhibit others. */
export interface MuteState {
  silences: readonly ActiveSilence[];
  inhibitors: ReadonlyMap<string, LabelledAlert>;
}

/** Why a delivery waits: stored in `deliveries.muted_by` (encodeReason) and shown by the API. */
export type MuteReason =
  | { by: 'silence'; silence_id: string }
  | { by: 'interval'; interval: string; kind: 'mute_time_intervals' | 'active_time_intervals' }
  | { by: 'inhibition'; inhibited_by: string };

export function encodeReason(r: MuteReason): string {
  if (r.by === 'silence') return `silence:${r.silence_id}`;
  if (r.by === 'inhibition') return `inhibition:${r.inhibited_by}`;
  return `${r.kind === 'mute_time_intervals' ? 'interval' : 'outside'}:${r.interval}`;
}

export function decodeReason(s: string): MuteReason | undefined {
  const i = s.indexOf(':');
  const kind = s.slice(0, i);
  const v = s.slice(i + 1);
  if (kind === 'silence') return { by: 'silence', silence_id: v };
  if (kind === 'inhibition') return { by: 'inhibition', inhibited_by: v };
  if (kind === 'interval') return { by: 'interval', interval: v, kind: 'mute_time_intervals' };
  if (kind === 'outside') return { by: 'interval', interval: v, kind: 'active_time_intervals' };
  return undefined;
}

export const silenceActive = (s: Pick<ActiveSilence, 'startsAt' | 'endsAt'>, now: number) => s.startsAt <= now && now < s.endsAt;

/** The first silence in force that matches the labels. */
export function silencedBy(silences: readonly ActiveSilence[], labels: Labels, now: number): string | undefined {
  for (const s of silences) if (silenceActive(s, now) && allMatch(s.matchers, labels)) return s.id;
  return undefined;
}

/** Why a route sends nothing at this instant, or undefined when it is in its active time. */
function routeMuted(r: Route, rules: MuteRules, now: number): MuteReason | undefined {
  for (const name of r.muteTimeIntervals ?? []) {
    if (anyContains(rules.intervals.get(name) ?? [], now)) return { by: 'interval', interval: name, kind: 'mute_time_intervals' };
  }
  if (r.activeTimeIntervals?.length && !r.activeTimeIntervals.some((name) => anyContains(rules.intervals.get(name) ?? [], now))) {
    return { by: 'interval', interval: r.activeTimeIntervals.join(','), kind: 'active_time_intervals' };
  }
  return undefined;
}

/**
 * Muted by the routes' time intervals: the routes the labels reach (walked as `route()` does) that send to this
 * destination, at once or in a later escalation step, are all outside their time. A destination no route sends to now
 * (sticky from an earlier match, or named by the sender) has no route to mute it.
 */
export function intervalMute(routes: readonly Route[], rules: MuteRules, labels: Labels, destination: string, now: number): MuteReason | undefined {
  let reason: MuteReason | undefined;
  for (const r of routes) {
    if (!matchesAll(r.matchers, labels)) continue;
    if (r.to.includes(destination) || r.steps?.some((s) => s.to.includes(destination))) {
      const muted = routeMuted(r, rules, now);
      if (!muted) return undefined;
      reason ??= muted;
    }
    if (!r.continue) break;
  }
  return reason;
}

export interface MuteSubject {
  id: string;
  labels: Labels;
  /** The sender named the destination: no route sent it there, so no route's intervals apply. */
  routeOverride: string | null;
}

/** Whether a firing transition to this destination is muted now, and by what (silence, then inhibition, then time). */
export function muteReason(routes: readonly Route[], rules: MuteRules, state: MuteState, alert: MuteSubject, destination: string, now: number): MuteReason | undefined {
  const silence = silencedBy(state.silences, alert.labels, now);
  if (silence) return { by: 'silence', silence_id: silence };
  if (rules.inhibitRules.length) {
    const by = inhibitedBy(rules.inhibitRules, state.inhibitors.values(), alert);
    if (by) return { by: 'inhibition', inhibited_by: by };
  }
  if (alert.routeOverride !== null || rules.intervals.size === 0) return undefined;
  return intervalMute(routes, rules, alert.labels, destination, now);
}
