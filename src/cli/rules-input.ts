/**
 * The events `tocsin rules test` reads on stdin: NDJSON (one event per line), a JSON array, or Logflare's
 * `{"batch": [...]}`. A line that is not a JSON object is a problem reported with its line number, never fatal: a
 * log file pasted as-is has banners and blank lines. Pure.
 */
import type { LogEvent } from '../logs/event.ts';

export interface InputEvent {
  /** Where it was: `line 3`, `element 2`. */
  readonly at: string;
  readonly event: LogEvent;
  /** The line as given (NDJSON), printed as-is when it matches; otherwise the event is printed as JSON. */
  readonly raw?: string;
}

export interface InputEvents {
  readonly events: InputEvent[];
  readonly problems: string[];
  /** Set when the whole input cannot be read (a JSON array that does not parse): nothing to test. */
  readonly fatal?: string;
}

const isObject = (v: unknown): v is LogEvent => v !== null && typeof v === 'object' && !Array.isArray(v);

function elements(list: unknown[], at: (i: number) => string, events: InputEvent[], problems: string[]): void {
  list.forEach((v, i) => {
    if (isObject(v)) events.push({ at: at(i + 1), event: v });
    else problems.push(`${at(i + 1)}: not a JSON object`);
  });
}

const batchOf = (v: unknown): unknown[] | undefined => (isObject(v) && Array.isArray(v.batch) ? v.batch : undefined);

export function readEvents(text: string): InputEvents {
  const events: InputEvent[] = [];
  const problems: string[] = [];
  const start = text.trimStart()[0];
  if (start === '[' || start === '{') {
    // The whole input as one JSON value first: a pretty-printed array or batch spans lines.
    let whole: unknown;
    let parsed = false;
    try {
      whole = JSON.parse(text);
      parsed = true;
    } catch (e) {
      if (start === '[') return { events, problems, fatal: `stdin starts with "[" but is not a JSON array: ${(e as Error).message}` };
    }
    if (parsed) {
      if (Array.isArray(whole)) elements(whole, (i) => `element ${i}`, events, problems);
      else if (batchOf(whole)) elements(batchOf(whole)!, (i) => `batch element ${i}`, events, problems);
      else events.push({ at: 'line 1', event: whole as LogEvent });
      return { events, problems };
    }
  }
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const raw = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (raw.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      problems.push(`line ${i + 1}: not JSON (${(e as Error).message})`);
      return;
    }
    const batch = batchOf(v);
    if (batch) elements(batch, (j) => `line ${i + 1}, batch element ${j}`, events, problems);
    else if (isObject(v)) events.push({ at: `line ${i + 1}`, event: v, raw });
    else problems.push(`line ${i + 1}: not a JSON object`);
  });
  return { events, problems };
}
