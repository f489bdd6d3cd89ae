import type { LogEvent } from '../../logs/event.ts';
import { readLines, readLogBody, tryParse, type LogBodyRead } from './body.ts';

const OPEN_BRACE = 0x7b;
const NEWLINE = 0x0a;
/** What `\s` matches among ASCII: a body that starts with anything else (a BOM, a Unicode space) takes the text path. */
const isAsciiSpace = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);

/**
 * `readLogBody` over the bytes of a body, with the same result, without making one string of the whole body.
 *
 * A 300 KB body read as text is one string in V8's large-object space, and its network chunks (strings too) live on
 * while other requests are handled, so both end up in the old generation: at ≈ 200 requests/s that filled it in
 * moments, and the memory-saving mode `tocsin start` sets answered with a full, memory-reducing collection every few
 * hundred milliseconds. Bytes stay outside V8's heap; each line is decoded on its own and dies young.
 *
 * Only NDJSON whose first line is a complete JSON object is read here (what Fluent Bit's json_lines, Vector and most
 * loggers send): a body whose first line parses alone and is followed by more is not one JSON document, which is
 * what the text path would find out first. Anything else (one document, an array, a pretty-printed object, a bad
 * first line, a leading blank line or BOM) is decoded and read by the text path, so the answers are the same.
 */
export function readLogBytes(bytes: Buffer, onEvent: (e: LogEvent, line?: string) => void): LogBodyRead {
  const text = () => readLogBody(bytes.toString('utf8'), onEvent);
  let start = 0;
  while (start < bytes.length && isAsciiSpace(bytes[start]!)) start++;
  if (bytes[start] !== OPEN_BRACE || bytes.lastIndexOf(NEWLINE, start) >= 0) return text();
  const nl = bytes.indexOf(NEWLINE, start);
  if (nl < 0) return text();
  let rest = nl + 1;
  while (rest < bytes.length && isAsciiSpace(bytes[rest]!)) rest++;
  if (rest >= bytes.length) return text();
  const piece = bytes.toString('utf8', 0, nl);
  const first = tryParse(piece);
  if (!first.ok) return text();
  return readLines(bytes.length, (from, to) => bytes.toString('utf8', from, to), (from) => bytes.indexOf(NEWLINE, from), onEvent, { value: first.value, piece, next: nl + 1 });
}
