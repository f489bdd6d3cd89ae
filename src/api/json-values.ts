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
