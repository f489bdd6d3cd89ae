/** The bytes reader answers exactly as the text reader, for any body (fuzzed) and for the shapes senders send. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hostileJson, hostileObject, hostileString } from '../../../test/fuzz/arbitraries.ts';
import { check, runs } from '../../../test/fuzz/runs.ts';
import type { LogEvent } from '../../logs/event.ts';
import { readLogBody } from './body.ts';
import { readLogBytes } from './body-bytes.ts';

const both = (text: string) => {
  const seen = { text: [] as [LogEvent, string | undefined][], bytes: [] as [LogEvent, string | undefined][] };
  const t = readLogBody(text, (e, l) => seen.text.push([e, l]));
  const b = readLogBytes(Buffer.from(text, 'utf8'), (e, l) => seen.bytes.push([e, l]));
  return { t, b, seen };
};

const same = (text: string) => {
  const { t, b, seen } = both(text);
  assert.deepEqual(b, t);
  assert.deepEqual(seen.bytes, seen.text);
};

const line = fc.oneof(hostileObject(3).map((x) => JSON.stringify(x)), hostileJson(2).map((x) => JSON.stringify(x) ?? ''), hostileString, fc.constantFrom('', ' ', '\r', '{', '[1,2]', '{"a":1} x', '\u00a0', '\ufeff{}'));
const body = fc.oneof(
  fc.array(line, { maxLength: 8 }).map((ls) => ls.join('\n')),
  fc.array(line, { maxLength: 8 }).map((ls) => ls.join('\r\n')),
  fc.tuple(fc.constantFrom('', ' ', '\n', '\t\n', '\ufeff'), fc.array(hostileObject(2), { minLength: 1, maxLength: 5 })).map(([lead, xs]) => lead + xs.map((x) => JSON.stringify(x)).join('\n') + '\n'),
  hostileJson(3).map((v) => JSON.stringify(v, null, 2) ?? ''),
);

test('any body: the same events, lines, counts and problems as the text reader', async () => {
  await check(fc.property(body, same), runs(1000));
});

test('the shapes senders send, and the edges of the fast path', () => {
  const ev = (i: number) => JSON.stringify({ message: `é line ${i} — ✓`, m: { n: i } });
  for (const text of [
    [1, 2, 3].map(ev).join('\n'),
    [1, 2, 3].map(ev).join('\n') + '\n',
    [1, 2, 3].map(ev).join('\r\n') + '\r\n',
    `${ev(1)}\n\n${ev(2)}\n   \n`,
    `${ev(1)}\n[${ev(2)},${ev(3)}]\n7\n`,
    `${ev(1)}\nnot json\n${ev(2)}`,
    `${ev(1)}\n`,
    ev(1),
    JSON.stringify({ batch: [{ message: 'a' }, 2] }),
    JSON.stringify([{ message: 'a' }, { message: 'b' }], null, 2),
    JSON.stringify({ message: 'pretty' }, null, 2),
    `\n${ev(1)}\n${ev(2)}`,
    `  ${ev(1)}\n${ev(2)}`,
    `{"message":"a"} {"message":"b"}\n{"message":"c"}`,
    '',
    ' \n ',
  ]) same(text);
});

test('a multi-byte character cut by nothing: lines split on the newline byte only', () => {
  const text = ['{"message":"日本語"}', '{"message":"emoji 🚨"}', '{"message":"\\n escaped"}'].join('\n');
  const { b, seen } = both(text);
  assert.deepEqual(b, { ok: true, events: 3, skipped: 0 });
  assert.deepEqual(seen.bytes.map(([e]) => e.message), ['日本語', 'emoji 🚨', '\n escaped']);
});
