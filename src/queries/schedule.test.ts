import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeSchedule, dueSlot, nextSlot } from './schedule.ts';

const at = (iso: string) => Date.parse(iso);

test('every: slots are aligned on the epoch, the due one is the latest at or before now', () => {
  const s = { everyMs: 5 * 60_000 };
  assert.equal(dueSlot(s, at('2026-01-01T10:07:30Z')), at('2026-01-01T10:05:00Z'));
  assert.equal(dueSlot(s, at('2026-01-01T10:05:00Z')), at('2026-01-01T10:05:00Z'), 'a slot exactly now is due');
  assert.equal(nextSlot(s, at('2026-01-01T10:05:00Z')), at('2026-01-01T10:10:00Z'), 'the next is strictly after');
  assert.equal(nextSlot(s, at('2026-01-01T10:07:30Z')), at('2026-01-01T10:10:00Z'));
  const second = { everyMs: 1000 };
  assert.equal(dueSlot(second, 1_700_000_000_999), 1_700_000_000_000);
  assert.equal(nextSlot(second, 1_700_000_000_000), 1_700_000_001_000);
});

test('every: two instances (or a restart) compute the same slots whatever their start time', () => {
  const s = { everyMs: 7_000 };
  const slotsFrom = (start: number) => {
    const out = new Set<number>();
    for (let t = start; t < start + 60_000; t += 250) out.add(dueSlot(s, t)!);
    return out;
  };
  const a = slotsFrom(1_700_000_000_123);
  const b = slotsFrom(1_700_000_003_456);
  const common = [...a].filter((x) => b.has(x));
  assert.ok(common.length >= 8);
  for (const x of common) assert.equal(x % 7_000, 0);
});

test('cron: the latest slot at or before now, the next strictly after, in UTC by default', () => {
  const s = { cron: '*/5 * * * *' };
  assert.equal(dueSlot(s, at('2026-01-01T10:07:00Z')), at('2026-01-01T10:05:00Z'));
  assert.equal(dueSlot(s, at('2026-01-01T10:05:00Z')), at('2026-01-01T10:05:00Z'), 'a slot exactly now is due');
  assert.equal(dueSlot(s, at('2026-01-01T10:04:59.999Z')), at('2026-01-01T10:00:00Z'));
  assert.equal(nextSlot(s, at('2026-01-01T10:05:00Z')), at('2026-01-01T10:10:00Z'));
  assert.equal(nextSlot(s, at('2026-01-01T10:07:00Z')), at('2026-01-01T10:10:00Z'));
});

test('cron with a time zone: 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer', () => {
  const s = { cron: '0 9 * * *', timezone: 'Europe/Paris' };
  assert.equal(nextSlot(s, at('2026-01-15T00:00:00Z')), at('2026-01-15T08:00:00Z'));
  assert.equal(nextSlot(s, at('2026-07-15T00:00:00Z')), at('2026-07-15T07:00:00Z'));
  assert.equal(dueSlot(s, at('2026-07-15T12:00:00Z')), at('2026-07-15T07:00:00Z'));
  assert.deepEqual(describeSchedule(s), { cron: '0 9 * * *', timezone: 'Europe/Paris' });
  assert.deepEqual(describeSchedule({ cron: '* * * * *' }), { cron: '* * * * *', timezone: 'UTC' });
});

test('cron with seconds (six fields) works for short schedules', () => {
  const s = { cron: '*/2 * * * * *' };
  assert.equal(dueSlot(s, at('2026-01-01T10:00:03.500Z')), at('2026-01-01T10:00:02Z'));
  assert.equal(nextSlot(s, at('2026-01-01T10:00:02Z')), at('2026-01-01T10:00:04Z'));
});
