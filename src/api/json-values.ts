/**
 * Several JSON values in one body: newline-delimited JSON (Fluent Bit's `json_lines`, Vector's `ndjson`) or
 * concatenated JSON with no separator at all (Fluent Bit's `json_stream`). Both arrive as `application/json` from
 * older senders, and neither is one JSON document. Returns the text of each top-level object or array, or
 * undefined when the body is not such a sequence (then the usual "not valid JSON" answer stands).
 * Only splits: each piece is then parsed by the same guarded JSON parser as any body.
 */
export function splitJsonValues(text: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 0) {
      if (c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === ',' || c === '\x1e') continue;
      if (c !== '{' && c !== '[') return undefined;
      start = i;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth < 0) return undefined;
      if (depth === 0) out.push(text.slice(start, i + 1));
    }
  }
  return depth === 0 && !inString && out.length > 1 ? out : undefined;
}

/** The deepest nesting an ingest body may have. Real senders stay under ten; thousands exhausted the stack later. */
export const MAX_BODY_DEPTH = 64;

/**
 * Where a parsed body nests deeper than `limit` levels (the body itself is level 1), as a short path such as
 * `[0].metadata.a.a…`; undefined when it does not. Metadata nested 3,000 deep overflowed the stack of the content
 * hash and was answered 503 (a storage fault, retried for ever): refused here, at the edge, as the sender's mistake.
 * It runs on every body, so the first pass only answers yes or no (a few percent of JSON.parse's time); the path is
 * looked for only in a body that is refused.
 */
export function tooDeepAt(value: unknown, limit = MAX_BODY_DEPTH): string | undefined {
  if (value === null || typeof value !== 'object' || !deeperThan(value, limit)) return undefined;
  return shortPath(pathAtDepth(value, limit + 1, '') ?? '');
}

/**
 * Whether `v` holds an object or array more than `left` levels down (`v` counting as one). Recursive, but never
 * past `left` levels, so a body nested 100,000 deep costs 65 stack frames.
 */
function deeperThan(v: object, left: number): boolean {
  if (left === 0) return true;
  if (Array.isArray(v)) {
    for (const c of v) if (c !== null && typeof c === 'object' && deeperThan(c as object, left - 1)) return true;
    return false;
  }
  for (const k in v) {
    const c = (v as Record<string, unknown>)[k];
    if (c !== null && typeof c === 'object' && deeperThan(c, left - 1)) return true;
  }
  return false;
}

/**
 * Where, in JSON text (one value or several), nesting first goes past `limit` levels: the offset of the opening
 * bracket, or undefined. For large bodies only, before JSON.parse: V8 takes about 1 µs per level, so a 32 MiB body
 * of brackets (an Alertmanager source's limit) held the event loop for 16 s before tooDeepAt could refuse it. It
 * costs about half a parse, which is why small bodies (where the worst case is a few hundred ms) skip it.
 */
export function textTooDeepAt(text: string, limit = MAX_BODY_DEPTH): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote (a backslash escapes the next character, whatever it is).
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

/** Bodies larger than this are scanned by textTooDeepAt before they are parsed. */
export const PRESCAN_BYTES = 1024 * 1024;

/** The path of the first object or array found at `depth` (the value itself is depth 1). */
function pathAtDepth(v: unknown, depth: number, path: string): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  if (depth === 1) return path;
  for (const [k, c] of Object.entries(v)) {
    const found = pathAtDepth(c, depth - 1, Array.isArray(v) ? `${path}[${k}]` : `${path}${path ? '.' : ''}${k}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

const shortPath = (p: string) => (p.length > 100 ? `${p.slice(0, 100)}…` : p || '(body)');
