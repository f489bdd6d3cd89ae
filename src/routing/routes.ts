import { matchesAll, type Matcher, type MatchTarget } from './matchers.ts';

export interface Route {
  matchers: Matcher[];
  to: string[];
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
