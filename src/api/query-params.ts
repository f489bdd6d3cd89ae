/**
 * The name of a query parameter given more than once (`?destination=a&destination=b`), else undefined. No tocsin
 * route takes a list in the query string, so a repeat is ambiguous wherever it appears: answered with a 400 naming
 * it, before anything else reads the query (a handler expecting a string once met the array: a 500).
 */
export function repeatedParam(query: unknown): string | undefined {
  if (query === null || typeof query !== 'object') return undefined;
  for (const [name, value] of Object.entries(query)) if (Array.isArray(value)) return name;
  return undefined;
}

/** A parameter name as it may be shown in an answer: short, printable (never its value, which may be a token). */
export function shownParam(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable;
}
