/**
 * `JSON.stringify({ ...value, [key]: JSON.parse(json) })` without parsing and serialising `json` again: the ingest
 * path has an alert's metadata as JSON text already (what it stores), and puts the same metadata in the transition
 * and the delivery. `json` must be JSON text (it is written as it is); `value` must not have `key`.
 */
export function stringifyWith(value: object, key: string, json: string): string {
  const rest = JSON.stringify(value);
  const field = `${JSON.stringify(key)}:${json}`;
  return rest === '{}' ? `{${field}}` : `${rest.slice(0, -1)},${field}}`;
}
