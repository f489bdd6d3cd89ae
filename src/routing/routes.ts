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
