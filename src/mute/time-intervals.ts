/**
 * Alertmanager's `time_intervals` (docs "time_interval"): every field is a list, an instant matches a field when it
 * matches any element, and an interval when it matches every field given. A named interval holds several of them
 * and matches when any does. Times are start-inclusive and end-exclusive minutes of the day (end may be 24:00);
 * weekday, day-of-month, month and year ranges include both ends; a negative day of the month counts from its end
 * (-1 is the last day). Without `location` the fields are read in UTC, as Alertmanager does.
 */

type Range = readonly [number, number];

export interface TimeInterval {
  /** Minutes of the day, [start, end). */
  times?: Range[];
  /** 0 = Sunday … 6 = Saturday, inclusive. */
  weekdays?: Range[];
  /** 1…31 or -31…-1, inclusive. */
  daysOfMonth?: Range[];
  /** 1…12, inclusive. */
  months?: Range[];
  years?: Range[];
  location?: string;
}

export type IntervalParse<T> = { ok: true; value: T } | { ok: false; path: (string | number)[]; message: string };

export interface RawTimeInterval {
  times?: { start_time: string; end_time: string }[] | undefined;
  weekdays?: string[] | undefined;
  days_of_month?: string[] | undefined;
  months?: string[] | undefined;
  years?: string[] | undefined;
  location?: string | undefined;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

function minutesOf(t: string, isEnd: boolean): number | undefined {
  const m = /^(\d{2}):(\d{2})$/.exec(t);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && (min !== 0 || !isEnd))) return undefined;
  return h * 60 + min;
}

function rangeOf(text: string, one: (s: string) => number | undefined): Range | undefined {
  const parts = text.split(':');
  if (parts.length > 2) return undefined;
  const a = one(parts[0]!.trim());
  const b = parts.length === 2 ? one(parts[1]!.trim()) : a;
  if (a === undefined || b === undefined) return undefined;
  return [a, b];
}

const int = (lo: number, hi: number) => (s: string) => (/^-?\d+$/.test(s) && Number(s) >= lo && Number(s) <= hi ? Number(s) : undefined);
const named = (names: string[], offset: number, numeric?: (s: string) => number | undefined) => (s: string) => {
  const i = names.indexOf(s.toLowerCase());
  return i >= 0 ? i + offset : numeric?.(s);
};

/** A location Intl knows (IANA names, `UTC`, `Local` as Alertmanager's local time). */
export function validLocation(loc: string): boolean {
  if (loc === 'Local') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: loc });
    return true;
  } catch {
    return false;
  }
}

/** Reads one interval of the config; every problem names the field and the element. */
export function parseTimeInterval(raw: RawTimeInterval): IntervalParse<TimeInterval> {
  const out: TimeInterval = {};
  if (raw.times) {
    out.times = [];
    for (const [i, t] of raw.times.entries()) {
      const s = minutesOf(t.start_time, false);
      const e = minutesOf(t.end_time, true);
      if (s === undefined) return { ok: false, path: ['times', i, 'start_time'], message: 'must be HH:MM (00:00 to 23:59)' };
      if (e === undefined) return { ok: false, path: ['times', i, 'end_time'], message: 'must be HH:MM (00:00 to 24:00)' };
      if (e <= s) return { ok: false, path: ['times', i, 'end_time'], message: 'must be after start_time (the end is exclusive; a span past midnight is two spans)' };
      out.times.push([s, e]);
    }
  }
  const lists: [keyof RawTimeInterval & string, keyof TimeInterval, (s: string) => number | undefined, string][] = [
    ['weekdays', 'weekdays', named(WEEKDAYS, 0), 'a weekday name (monday) or a range of them (monday:friday)'],
    ['days_of_month', 'daysOfMonth', int(-31, 31), 'a day of the month 1…31, or -31…-1 from the end (-1 is the last day), or a range of them (1:5)'],
    ['months', 'months', named(MONTHS, 1, int(1, 12)), 'a month by name or number 1…12, or a range of them (january:march)'],
    ['years', 'years', int(1, 9999), 'a year or a range of years (2025:2027)'],
  ];
  for (const [key, field, one, what] of lists) {
    const items = raw[key] as string[] | undefined;
    if (!items) continue;
    const ranges: Range[] = [];
    for (const [i, text] of items.entries()) {
      const r = rangeOf(String(text), one);
      if (!r || (key === 'days_of_month' && (r[0] === 0 || r[1] === 0))) return { ok: false, path: [key, i], message: `must be ${what}` };
      // 1:-1 (first to last day) is a range Alertmanager takes; otherwise both ends count the same way, in order.
      const mixed = key === 'days_of_month' && r[0] > 0 && r[1] < 0;
      if (!mixed && r[0] > r[1]) return { ok: false, path: [key, i], message: `the range ends before it starts (${text})` };
      if (key === 'days_of_month' && r[0] < 0 && r[1] > 0) return { ok: false, path: [key, i], message: `must be ${what}` };
      ranges.push(r);
    }
    (out as Record<string, unknown>)[field] = ranges;
  }
  if (raw.location !== undefined) {
    if (!validLocation(raw.location)) return { ok: false, path: ['location'], message: `unknown time zone "${raw.location}" (an IANA name such as Europe/Berlin, or UTC)` };
    if (raw.location !== 'UTC' && raw.location !== 'Local') out.location = raw.location;
    if (raw.location === 'Local') out.location = Intl.DateTimeFormat().resolvedOptions().timeZone;
  }
  return { ok: true, value: out };
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minute: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function formatFor(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'long' });
    formats.set(zone, f);
  }
  return f;
}

/** The wall-clock fields of an instant in a zone (UTC when none). */
export function localTime(at: number, zone: string | undefined): LocalTime {
  let year: number, month: number, day: number, weekday: number, minute: number;
  if (!zone) {
    const d = new Date(at);
    year = d.getUTCFullYear();
    month = d.getUTCMonth() + 1;
    day = d.getUTCDate();
    weekday = d.getUTCDay();
    minute = d.getUTCHours() * 60 + d.getUTCMinutes();
  } else {
    const p: Record<string, string> = {};
    for (const part of formatFor(zone).formatToParts(at)) p[part.type] = part.value;
    year = Number(p.year);
    month = Number(p.month);
    day = Number(p.day);
    weekday = WEEKDAYS.indexOf(p.weekday!.toLowerCase());
    minute = Number(p.hour) * 60 + Number(p.minute);
  }
  return { year, month, day, weekday, minute };
}

const daysInMonth = (t: LocalTime) => new Date(Date.UTC(t.year, t.month, 0)).getUTCDate();

const within = (v: number, ranges: readonly Range[] | undefined) => ranges === undefined || ranges.some(([a, b]) => v >= a && v <= b);

function dayMatches(t: LocalTime, ranges: readonly Range[] | undefined): boolean {
  if (ranges === undefined) return true;
  const days = daysInMonth(t);
  return ranges.some(([a, b]) => {
    // Negative days count from the month's end; a day past this month's length (31 in April) is clipped to it.
    const from = a < 0 ? days + a + 1 : Math.min(a, days);
    const to = b < 0 ? days + b + 1 : Math.min(b, days);
    return t.day >= from && t.day <= to;
  });
}

export function intervalContains(i: TimeInterval, at: number): boolean {
  const t = localTime(at, i.location);
  if (i.times && !i.times.some(([s, e]) => t.minute >= s && t.minute < e)) return false;
  return within(t.weekday, i.weekdays) && dayMatches(t, i.daysOfMonth) && within(t.month, i.months) && within(t.year, i.years);
}

/** A named interval (its list of intervals) holds the instant when any of them does. */
export const anyContains = (list: readonly TimeInterval[], at: number) => list.some((i) => intervalContains(i, at));
