import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anyContains, intervalContains, parseTimeInterval, type RawTimeInterval } from './time-intervals.ts';

const parse = (raw: RawTimeInterval) => {
  const r = parseTimeInterval(raw);
  if (!r.ok) throw new Error(`${r.path.join('.')}: ${r.message}`);
  return r.value;
};
const at = (iso: string) => Date.parse(iso);

test('times are start-inclusive, end-exclusive; 24:00 ends the day', () => {
  const i = parse({ times: [{ start_time: '09:00', end_time: '17:00' }, { start_time: '23:00', end_time: '24:00' }] });
  assert.equal(intervalContains(i, at('2026-12-02T09:00:00Z')), true);
  assert.equal(intervalContains(i, at('2026-12-02T16:59:59Z')), true);
  assert.equal(intervalContains(i, at('2026-12-02T17:00:00Z')), false);
  assert.equal(intervalContains(i, at('2026-12-02T08:59:00Z')), false);
  assert.equal(intervalContains(i, at('2026-12-02T23:59:00Z')), true);
});

test('weekdays, days of month (negative from the end), months, years: ranges inclusive', () => {
  const weekdays = parse({ weekdays: ['monday:friday'] });
  assert.equal(intervalContains(weekdays, at('2026-12-02T12:00:00Z')), true); // a Wednesday
  assert.equal(intervalContains(weekdays, at('2026-12-05T12:00:00Z')), false); // Saturday
  assert.equal(intervalContains(parse({ weekdays: ['saturday', 'sunday'] }), at('2026-12-06T12:00:00Z')), true);

  const lastDays = parse({ days_of_month: ['-3:-1'] });
  assert.equal(intervalContains(lastDays, at('2026-02-26T00:00:00Z')), true); // 28 days: 26..28
  assert.equal(intervalContains(lastDays, at('2026-02-25T23:59:00Z')), false);
  assert.equal(intervalContains(lastDays, at('2026-12-29T00:00:00Z')), true); // 31 days: 29..31
  assert.equal(intervalContains(parse({ days_of_month: ['1:5'] }), at('2026-12-05T10:00:00Z')), true);
  assert.equal(intervalContains(parse({ days_of_month: ['1:-1'] }), at('2026-12-17T10:00:00Z')), true);

  assert.equal(intervalContains(parse({ months: ['january:march', '12'] }), at('2026-12-02T00:00:00Z')), true);
  assert.equal(intervalContains(parse({ months: ['april:june'] }), at('2026-12-02T00:00:00Z')), false);
  assert.equal(intervalContains(parse({ years: ['2025:2026'] }), at('2026-12-02T00:00:00Z')), true);
  assert.equal(intervalContains(parse({ years: ['2027'] }), at('2026-12-02T00:00:00Z')), false);
});

test('location reads the fields in that time zone', () => {
  const tokyo = parse({ times: [{ start_time: '09:00', end_time: '10:00' }], weekdays: ['thursday'], location: 'Asia/Tokyo' });
  // 2026-12-03 00:30 UTC is Thursday 09:30 in Tokyo (Wednesday in UTC).
  assert.equal(intervalContains(tokyo, at('2026-12-03T00:30:00Z')), true);
  assert.equal(intervalContains(tokyo, at('2026-12-03T09:30:00Z')), false);
  // Daylight saving: 09:00–10:00 in New York is 14:00 UTC in winter, 13:00 UTC in summer.
  const ny = parse({ times: [{ start_time: '09:00', end_time: '10:00' }], location: 'America/New_York' });
  assert.equal(intervalContains(ny, at('2026-01-15T14:30:00Z')), true);
  assert.equal(intervalContains(ny, at('2026-07-15T13:30:00Z')), true);
  assert.equal(intervalContains(ny, at('2026-07-15T14:30:00Z')), false);
  assert.equal(anyContains([ny, parse({ years: ['2026'] })], at('2026-07-15T20:00:00Z')), true);
});

test('mistakes name the field and the element', () => {
  const bad: [RawTimeInterval, string][] = [
    [{ times: [{ start_time: '9:00', end_time: '10:00' }] }, 'times.0.start_time'],
    [{ times: [{ start_time: '10:00', end_time: '09:00' }] }, 'times.0.end_time'],
    [{ times: [{ start_time: '24:00', end_time: '24:00' }] }, 'times.0.start_time'],
    [{ weekdays: ['monday', 'funday'] }, 'weekdays.1'],
    [{ weekdays: ['friday:monday'] }, 'weekdays.0'],
    [{ days_of_month: ['0'] }, 'days_of_month.0'],
    [{ days_of_month: ['32'] }, 'days_of_month.0'],
    [{ days_of_month: ['-1:5'] }, 'days_of_month.0'],
    [{ months: ['smarch'] }, 'months.0'],
    [{ months: ['13'] }, 'months.0'],
    [{ years: ['2026:2025'] }, 'years.0'],
    [{ location: 'Mars/Olympus' }, 'location'],
  ];
  for (const [raw, path] of bad) {
    const r = parseTimeInterval(raw);
    assert.equal(r.ok, false, JSON.stringify(raw));
    if (!r.ok) assert.equal(r.path.join('.'), path, JSON.stringify(raw));
  }
});
