/**
 * Query strings where one value is expected (no tocsin route takes a list there). A repeat of the same value
 * (`?destination=a&destination=a`, as a proxy or a templating mistake produces) is no ambiguity: it counts once.
 * Different values are: a management request gets a 400 naming the parameter, but an ingest request is a page that
 * most senders never retry after a 4xx, so there the first value is used and the 202 says so (a handler that met
 * the array used to answer 500).
 */
export type RepeatedParams =
  | { kind: 'none' }
  /** Different values: `names` were collapsed to their first value (query is rewritten in place). */
  | { kind: 'conflicting'; names: string[] };

/** Collapses every repeated parameter of `query` to its first value, in place; says which ones disagreed. */
export function collapseRepeats(query: unknown): RepeatedParams {
  if (query === null || typeof query !== 'object') return { kind: 'none' };
  const q = query as Record<string, unknown>;
  const names: string[] = [];
  for (const [name, value] of Object.entries(q)) {
    if (!Array.isArray(value)) continue;
    if (value.some((v) => v !== value[0])) names.push(name);
    q[name] = value[0];
  }
  return names.length ? { kind: 'conflicting', names } : { kind: 'none' };
}

/** What an ingest answer says of parameters given with different values. */
export function repeatWarning(name: string): string {
  return `query parameter "${shownParam(name)}" was given more than once with different values: the first one was used`;
}

/** A parameter name as it may be shown in an answer: short, printable (never its value, which may be a token). */
export function shownParam(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable;
}
