/**
 * One log event as a logs source receives it: a parsed JSON object (a line of NDJSON, an element of an array or of
 * Logflare's `batch`, a Fluent Bit or Vector record). Events are matched against rules, never stored.
 */
export type LogEvent = Readonly<Record<string, unknown>>;

/** Where senders put the line itself, in the order tried: Logflare, Vector/Fluent Bit/most loggers, then the rest. */
const MESSAGE_KEYS = ['event_message', 'message', 'msg', 'log', 'text'] as const;

/** The event's message (bare words and phrases match it); '' when it has none. */
export function messageOf(event: LogEvent): string {
  for (const k of MESSAGE_KEYS) {
    const v = Object.hasOwn(event, k) ? event[k] : undefined;
    if (typeof v === 'string') return v;
  }
  return '';
}

function walk(from: unknown, parts: readonly string[]): unknown {
  let at = from;
  for (const p of parts) {
    if (at === null || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, p)) return undefined;
    at = (at as Record<string, unknown>)[p];
  }
  return at;
}

/**
 * The value at `m.path.to.field` (Logflare's LQL: `m.` is the event's metadata). Looked up under `metadata` first
 * (Logflare's shape), then at the top level (Fluent Bit, Vector and most JSON loggers put fields there). `path` is
 * given without the `m.` prefix, split on dots. Own properties only: `__proto__` or `constructor` find nothing.
 */
export function fieldValue(event: LogEvent, path: readonly string[]): unknown {
  const inMetadata = walk(event.metadata, path);
  return inMetadata !== undefined ? inMetadata : walk(event, path);
}
