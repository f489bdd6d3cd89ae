import type { Route } from '../routing/routes.ts';
import { subscriptionWarnings } from '../destinations/webhook/outcome.ts';
import { sourceTypes } from '../sources/registry.ts';
import type { ConfigProblem } from './expand.ts';

/** Every alert carries these, whatever its source. */
const ALWAYS = ['source', 'severity'];

export interface WarningInput {
  routes: readonly Route[];
  /** False when `routes` was left out (everything goes to every destination). */
  explicitRoutes: boolean;
  sources: ReadonlyMap<string, { type: string }>;
  destinations: ReadonlyMap<string, unknown>;
}

const covers = (pattern: string, key: string) => (pattern.endsWith('.*') ? key.startsWith(pattern.slice(0, -1)) : pattern === key);

/**
 * Likely mistakes that still make a working config: printed by check-config and logged at start and reload.
 * Pure: it reads the compiled routes and what each configured source type says it can produce.
 */
export function configWarnings(c: WarningInput): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (c.destinations.size === 0) {
    out.push({ path: 'destinations', message: 'none configured: alerts are stored but delivered nowhere' });
  } else if (c.explicitRoutes && !c.routes.some((r) => r.matchers.length === 0)) {
    out.push({
      path: 'routes',
      message: 'no default route (a route without match): an alert no route matches is stored but delivered nowhere; end the list with e.g. `- to: [<destination>]`',
    });
  }

  // Webhooks subscribed to delivery outcomes (`on:`): filters naming nothing, alerts they get for want of routes.
  out.push(...subscriptionWarnings(c.destinations, c.explicitRoutes));

  // The storm summary's key in incident.io is `tocsin:storm:<destination>`: a source named `tocsin` could send the
  // same key (dedup key `storm:<destination>`) and would update or resolve the summary.
  if (c.sources.has('tocsin')) {
    out.push({ path: 'sources.tocsin', message: 'the name "tocsin" shares incident.io keys with tocsin\'s own alerts (a dedup key "storm:<destination>" is the storm summary\'s): choose another name' });
  }

  // A fixed label set is known only when every configured source declares one; one open source can produce any key.
  const types = [...new Set([...c.sources.values()].map((s) => s.type))];
  const fixed = types.length > 0 && types.every((t) => sourceTypes[t]?.labelKeys) ? types : undefined;
  const typeKeys = fixed ? [...new Set(fixed.flatMap((t) => sourceTypes[t]!.labelKeys!))] : undefined;
  const known = typeKeys && [...ALWAYS, ...typeKeys];

  c.routes.forEach((r, i) => {
    for (const m of r.matchers) {
      const at = `routes[${i}].match.${m.label}`;
      if (m.label.startsWith('metadata.')) {
        const name = m.label.slice('metadata.'.length);
        out.push({ path: at, message: `labels are metadata keys by name, without a "metadata." prefix: write ${name} (this only matches a sender's own "metadata" object)` });
      } else if (known && !known.some((p) => covers(p, m.label))) {
        const list = typeKeys!.map((k) => k.replace(/\.\*$/, '.<key>')).join(', ');
        // `team` on dbt is most likely its meta: point at the prefixed key a source does produce.
        const near = typeKeys!.filter((k) => k.endsWith('.*')).map((k) => `${k.slice(0, -1)}${m.label}`);
        const hint = near.length ? `; did you mean ${near.join(' or ')}?` : '';
        out.push({ path: at, message: `no configured source produces the label "${m.label}": ${fixed!.join(', ')} alerts carry ${list}, source and severity${hint}` });
      }
    }
  });
  return out;
}
