import type { FieldProblem } from '../../domain/errors.ts';

/** Query parameters that pick a destination for one request: tocsin's own, and Versus Incident's name for it. */
const PARAMS = ['destination', 'incidentio_other_alert_source'] as const;

// incident.io ids are ULIDs (01GW2G3V0S59R238FAHPDS1R66); a UUID or a URL is no name either.
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export type DestinationChoice = { ok: true; value: string | undefined } | { ok: false; problem: FieldProblem };

/**
 * The named destination a caller asked for, if any. Only a configured name can route an alert (DESIGN: "never a raw
 * ID or URL"): a value shaped like an id or a URL is refused here with a message that says so, and the ingest
 * service checks that the name exists. The value is not echoed: it may be a URL the caller did not mean to share.
 */
export function destinationFromQuery(query: Readonly<Record<string, string | undefined>>): DestinationChoice {
  const given = PARAMS.map((p) => [p, query[p]?.trim()] as const).filter((e): e is readonly [(typeof PARAMS)[number], string] => !!e[1]);
  if (given.length === 0) return { ok: true, value: undefined };
  if (given.length === 2 && given[0]![1] !== given[1]![1]) {
    return { ok: false, problem: { field: 'destination', message: 'destination and incidentio_other_alert_source name different destinations; send one' } };
  }
  const [field, value] = given[0]!;
  const only = 'only configured destination names are accepted (a key under destinations: in the tocsin config)';
  if (ULID.test(value) || UUID.test(value)) return { ok: false, problem: { field, message: `this looks like an incident.io ID; ${only}` } };
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) || value.includes('/')) return { ok: false, problem: { field, message: `this looks like a URL; ${only}` } };
  if (!NAME.test(value)) return { ok: false, problem: { field, message: `not a destination name; ${only}` } };
  return { ok: true, value };
}
