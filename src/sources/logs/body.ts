import type { FieldProblem } from '../../domain/errors.ts';
import type { LogEvent } from '../../logs/event.ts';

/**
 * What a logs source reads from one request body, whatever shipped it:
 * - NDJSON (Fluent Bit `format json_lines`, Vector's `framing.method: newline_delimited`, most loggers),
 * - a JSON array (Fluent Bit `format json`: records with a `date` key; Vector's `encoding.codec: json` without
 *   framing, which wraps its batch in `[…]`),
 * - `{"batch": [...]}` (Logflare's ingest API), or a single JSON object (one event).
 * Pure: no I/O, never throws on hostile input.
 */
export type LogBody = { ok: true; events: LogEvent[]; skipped: number } | { ok: false; problems: FieldProblem[] };
/** What `readLogBody` says once every event went to its callback. */
export type LogBodyRead = { ok: true; events: number; skipped: number } | { ok: false; problems: FieldProblem[] };

const isObject = (v: unknown): v is LogEvent => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Spread the items of an array (a batch), keep objects, count the rest: a log line that is not an object is skipped. */
function collect(items: readonly unknown[], onEvent: (e: LogEvent) => void): number {
  let skipped = 0;
  for (const item of items) {
    if (isObject(item)) onEvent(item);
    else skipped++;
  }
  return skipped;
}

/** One parsed document: a batch (array, or Logflare's `{"batch": [...]}`) or one event. */
function fromDocument(doc: unknown, onEvent: (e: LogEvent) => void): number {
  if (Array.isArray(doc)) return collect(doc, onEvent);
  if (isObject(doc) && Object.hasOwn(doc, 'batch') && Array.isArray(doc.batch)) return collect(doc.batch, onEvent);
  if (isObject(doc)) {
    onEvent(doc);
    return 0;
  }
  return 1;
}

export function tryParse(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    // V8's message quotes the text around the error: a log line, which may hold secrets. Only where it is.
    const at = e instanceof Error ? /position (\d+)/.exec(e.message)?.[1] : undefined;
    return { ok: false, message: at === undefined ? 'invalid JSON' : `invalid JSON at character ${Number(at) + 1}` };
  }
}

/**
 * Each event of the body to `onEvent`, as it is read. One document first (an array, a batch, one object); when that
 * is not JSON, the body is read as NDJSON, one value per
 * line (a line may itself be an array: its items are events). A line that is not JSON is the sender's mistake: a 400
 * naming the line, never a silent loss of the lines after it.
 *
 * An NDJSON line that is one event comes with its text (a worker thread sends it back instead of a copy of the event:
 * pool/tally.ts). `JSON.parse`, not Fastify's guarded parser: events are only matched (the predicates read own properties: event.ts)
 * and what is kept of them, the samples, is copied through `sampleOf` (sample.ts), which drops `__proto__`.
 */
export function readLogBody(text: string, onEvent: (e: LogEvent, line?: string) => void): LogBodyRead {
  const start = text.search(/\S/);
  if (start < 0) return { ok: false, problems: [{ field: '(body)', message: 'the body is empty; send NDJSON, a JSON array or {"batch": [...]}' }] };
  let events = 0;
  const counted = (e: LogEvent) => {
    events++;
    onEvent(e);
  };
  const first = text[start];
  if (first === '[' || first === '{') {
    const whole = tryParse(text);
    if (whole.ok) {
      const skipped = fromDocument(whole.value, counted);
      return { ok: true, events, skipped };
    }
  }
  return readLines(text.length, (from, to) => text.slice(from, to), (from) => text.indexOf('\n', from), onEvent);
}

/**
 * The NDJSON reading of a body, over its text or its bytes (body-bytes.ts): each line is cut out by `slice` (where
 * `newline` finds the next line break), parsed, and its events given to `onEvent`. `first` is line 1 already parsed.
 */
export function readLines(
  length: number,
  slice: (from: number, to: number) => string,
  newline: (from: number) => number,
  onEvent: (e: LogEvent, line?: string) => void,
  first?: { value: unknown; piece: string; next: number },
): LogBodyRead {
  let events = 0;
  let skipped = 0;
  const counted = (e: LogEvent) => {
    events++;
    onEvent(e);
  };
  const take = (value: unknown, piece: string) => {
    if (Array.isArray(value)) skipped += collect(value, counted);
    else if (isObject(value)) {
      events++;
      onEvent(value, piece);
    } else skipped++;
  };
  let line = 0;
  let at = 0;
  if (first) {
    line = 1;
    at = first.next;
    take(first.value, first.piece);
  }
  while (at < length) {
    const nl = newline(at);
    const end = nl < 0 ? length : nl;
    line++;
    const piece = slice(at, end);
    at = end + 1;
    if (piece.trim() === '') continue;
    const parsed = tryParse(piece);
    if (!parsed.ok) return { ok: false, problems: [notJson(line, parsed.message)] };
    take(parsed.value, piece);
  }
  return { ok: true, events, skipped };
}

export function notJson(line: number, message: string): FieldProblem {
  return { field: `(line ${line})`, message: `not JSON (${message}); send one JSON object per line, a JSON array or {"batch": [...]}` };
}

/** `readLogBody` with the events collected (tests, and callers that want them all). */
export function parseLogBody(text: string): LogBody {
  const events: LogEvent[] = [];
  const r = readLogBody(text, (e) => events.push(e));
  return r.ok ? { ok: true, events, skipped: r.skipped } : r;
}

/** What the 202 says about skipped items: counted, never a refusal of a well-formed body. */
export function skippedWarning(skipped: number): string {
  return `${skipped} item(s) of the body are not JSON objects (a log event is an object): skipped`;
}
