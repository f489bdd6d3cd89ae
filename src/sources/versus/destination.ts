/** Query parameters that pick a destination for one request: tocsin's own, and Versus Incident's name for it. */
const PARAMS = ['destination', 'incidentio_other_alert_source'] as const;

// incident.io ids are ULIDs (01GW2G3V0S59R238FAHPDS1R66); a UUID or a URL is no name either.
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** The destination name to pass on (the ingest service checks it is configured), and what was ignored and why. */
export interface DestinationChoice {
  value?: string;
  warning?: string;
}

const ROUTED = 'ignored: routed by the routes instead. Only configured destination names are accepted (a key under destinations: in the tocsin config)';

/**
 * The named destination a caller asked for, if any. Only a configured name can route an alert (DESIGN: "never a raw
 * ID or URL"), but a request is never refused for it: Versus itself falls back to its default alert source, and a
 * refusal would lose the page. A value shaped like an id or a URL is ignored with a warning that does not echo it
 * (it may be a URL the caller did not mean to share); a name is passed on, and the ingest service falls back with a
 * warning of its own when no such destination is configured.
 */
export function destinationFromQuery(query: Readonly<Record<string, string | undefined>>): DestinationChoice {
  const given = PARAMS.map((p) => [p, query[p]?.trim()] as const).filter((e): e is readonly [(typeof PARAMS)[number], string] => !!e[1]);
  if (given.length === 0) return {};
  if (given.length === 2 && given[0]![1] !== given[1]![1]) {
    return { warning: `destination and incidentio_other_alert_source name different destinations, both ${ROUTED}` };
  }
  const [param, value] = given[0]!;
  if (ULID.test(value) || UUID.test(value)) return { warning: `${param} looks like an incident.io ID, ${ROUTED}` };
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) || value.includes('/')) return { warning: `${param} looks like a URL, ${ROUTED}` };
  if (!NAME.test(value)) return { warning: `${param} is not a destination name, ${ROUTED}` };
  return { value };
}
