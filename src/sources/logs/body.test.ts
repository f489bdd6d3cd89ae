import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldValue, messageOf } from '../../logs/event.ts';
import { parseLogBody } from './body.ts';
import { FORMATS } from './fixtures.ts';

for (const f of FORMATS) {
  test(`${f.name}: two events, the error of payments in eu first`, () => {
    const r = parseLogBody(f.body);
    assert.ok(r.ok);
    assert.equal(r.events.length, 2);
    assert.equal(r.skipped, 0);
    assert.equal(messageOf(r.events[0]!), 'payment failed: card declined');
    assert.equal(fieldValue(r.events[0]!, ['level']), 'error');
    assert.equal(fieldValue(r.events[0]!, ['region']), 'eu');
    assert.equal(fieldValue(r.events[1]!, ['service']), 'search');
  });
}

test('one JSON object is one event; NDJSON with blank lines and CRLF', () => {
  const one = parseLogBody('{"message":"x"}');
  assert.ok(one.ok && one.events.length === 1);
  const crlf = parseLogBody('{"message":"a"}\r\n\r\n{"message":"b"}\r\n');
  assert.ok(crlf.ok);
  assert.deepEqual(crlf.events.map(messageOf), ['a', 'b']);
});

test('items that are not objects are counted and skipped, never a refusal', () => {
  const arr = parseLogBody('[1, "two", null, {"message":"ok"}, [3]]');
  assert.ok(arr.ok);
  assert.equal(arr.events.length, 1);
  assert.equal(arr.skipped, 4);
  const lines = parseLogBody('"text"\n{"message":"ok"}\n42\n[{"message":"in array"}, 7]');
  assert.ok(lines.ok);
  assert.deepEqual(lines.events.map(messageOf), ['ok', 'in array']);
  assert.equal(lines.skipped, 3);
  const batch = parseLogBody('{"batch": [true, {"message":"b"}]}');
  assert.ok(batch.ok && batch.events.length === 1 && batch.skipped === 1);
});

test('a line that is not JSON is a 400 naming the line; an empty body too', () => {
  const bad = parseLogBody('{"message":"a"}\n{"message": oops}\n{"message":"c"}');
  assert.ok(!bad.ok);
  assert.equal(bad.problems[0]!.field, '(line 2)');
  const empty = parseLogBody('  \n ');
  assert.ok(!empty.ok);
});

test('__proto__ in an event stays an own key: no prototype is set', () => {
  const r = parseLogBody('{"__proto__": {"polluted": true}, "message": "x"}');
  assert.ok(r.ok);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(r.events[0]), Object.prototype);
});
