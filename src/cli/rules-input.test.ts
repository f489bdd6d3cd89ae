import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caretUnder } from './rules-command.ts';
import { readEvents } from './rules-input.ts';

test('NDJSON: each object line is an event with its line number; others are problems, not fatal', () => {
  const r = readEvents('{"message":"a"}\r\nnot json\n\n[1]\n"str"\n{"message":"b"}');
  assert.deepEqual(r.events.map((e) => [e.at, e.raw]), [['line 1', '{"message":"a"}'], ['line 6', '{"message":"b"}']]);
  assert.equal(r.problems.length, 3);
  assert.match(r.problems[0]!, /^line 2: not JSON/);
  assert.deepEqual(r.problems.slice(1), ['line 4: not a JSON object', 'line 5: not a JSON object']);
  assert.equal(r.fatal, undefined);
});

test('a JSON array, pretty-printed or not; non-objects in it are problems', () => {
  const r = readEvents('  [\n {"message": "a"},\n 3,\n {"message": "b"}\n]\n');
  assert.deepEqual(r.events.map((e) => e.at), ['element 1', 'element 3']);
  assert.deepEqual(r.problems, ['element 2: not a JSON object']);
});

test("Logflare's {batch: [...]}, whole or per line", () => {
  assert.deepEqual(readEvents('{"batch":[{"event_message":"a"},{"event_message":"b"}]}').events.map((e) => e.at), ['batch element 1', 'batch element 2']);
  assert.deepEqual(readEvents('{"batch":[{"event_message":"a"}]}\n{"batch":[{"event_message":"b"}]}').events.map((e) => e.at), ['line 1, batch element 1', 'line 2, batch element 1']);
});

test('a single pretty-printed object is one event', () => {
  assert.deepEqual(readEvents('{\n "message": "a"\n}\n').events.map((e) => e.event), [{ message: 'a' }]);
});

test('an input that starts like an array but is not one is fatal', () => {
  assert.match(readEvents('[{"message": "a"}\n').fatal ?? '', /starts with "\[" but is not a JSON array/);
});

test('the caret sits under the column, tabs shown as spaces', () => {
  assert.equal(caretUnder('m.level:\tx', 9), '  m.level: x\n          ^');
  assert.equal(caretUnder('a', 1), '  a\n  ^');
});
