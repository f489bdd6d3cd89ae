import { matchesAll, type Matcher, type MatchTarget } from './matchers.ts';

/** A later step of an escalation: these destinations, this long after the alert fired, unless it was acknowledged. */
export interface EscalationStep {
  afterMs: number;
  to: string[];
}

export interface Route {
  matchers: Matcher[];
  /** Where a new episode goes at once (an escalation's first step). */
  to: string[];
  /** An escalation's later steps, in order. */
  steps?: EscalationStep[];
  /** Keep looking at later routes after this one matched. */
  continue: boolean;
  /** `resolve_after` of this route: its alerts with no new event for this long are resolved (TTL). */
  resolveAfterMs?: number;
  /** Names of `time_intervals` in which this route's destinations are muted (mute/decide.ts). */
  muteTimeIntervals?: string[];
  /** Names of `time_intervals` outside which this route's destinations are muted. */
  activeTimeIntervals?: string[];
}

/**
 * Routes are tried in order; the first match wins unless it says `continue`. A route with no matchers matches
 * everything, which is how the default route is written. The result keeps first-seen order, without repeats.
 */
export function route(routes: readonly Route[], target: MatchTarget): string[] {
  const out: string[] = [];
  for (const r of routes) {
    if (!matchesAll(r.matchers, target)) continue;
    for (const d of r.to) if (!out.includes(d)) out.push(d);
    if (!r.continue) break;
  }
  return out;
}

/** The shortest `resolve_after` of the routes an alert matches (walked as `route` walks them), if any sets one. */
export function routeResolveAfter(routes: readonly Route[], target: MatchTarget): number | undefined {
  let out: number | undefined;
  for (const r of routes) {
    if (!matchesAll(r.matchers, target)) continue;
    if (r.resolveAfterMs !== undefined && (out === undefined || r.resolveAfterMs < out)) out = r.resolveAfterMs;
    if (!r.continue) break;
  }
  return out;
}

/** The later escalation steps of every route a new episode matches, in the order `route` walks them. */
export function escalationSteps(routes: readonly Route[], target: MatchTarget): EscalationStep[] {
  const out: EscalationStep[] = [];
  for (const r of routes) {
    if (!matchesAll(r.matchers, target)) continue;
    if (r.steps) out.push(...r.steps);
    if (!r.continue) break;
  }
  return out;
}
