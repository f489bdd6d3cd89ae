/** Every operator of LQL, table-driven: query × event → matches or not, through compileLql and compileRuleSet alike. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEvent } from '../event.ts';
import { compileLql } from './compile.ts';
import { compileRuleSet } from './ruleset.ts';
import { explainLql } from './explain.ts';

/** Logflare's shape: the line in event_message, fields under metadata. */
const logflare: LogEvent = {
  event_message: 'Payment FAILED for order 42: card declined (health check ok)',
  metadata: {
    level: 'error',
    service: 'payments',
    status: 503,
    status_text: '503',
    latency_ms: '12.5',
    retries: 0,
    ok: false,
    region: null,
    tags: ['billing', 'eu', 7],
    request: { method: 'POST', path: '/api/pay', headers: { 'user-agent': 'curl/8' } },
    msg: 'two words',
    ts: '2025-06-01T12:00:00Z',
    nested_array: [{ a: 1 }],
  },
};

/** Vector / Fluent Bit / pino: fields at the top level, the line in message. */
const flat: LogEvent = { message: 'GET /healthz 200', level: 'info', status: 200, host: { name: 'web-1' }, metadata: { level: 'debug' } };

const cases: [query: string, event: LogEvent, expected: boolean][] = [
  // bare words and phrases: case-insensitive substrings of the message
  ['payment', logflare, true],
  ['PAYMENT', logflare, true],
  ['failed declined', logflare, true],
  ['failed refunded', logflare, false],
  ['"card declined"', logflare, true],
  ['"Card Declined"', logflare, true],
  ['"declined card"', logflare, false],
  ['"order 42:"', logflare, true],
  ['healthz', flat, true],
  ['anything', { metadata: { level: 'error' } }, false],
  ['error', { level: 'error' }, false], // a field's value is not the message
  ['"say \\"hi\\""', { message: 'they say "hi" twice' }, true],
  // the message lookup order: event_message, message, msg, log, text
  ['first', { event_message: 'first', message: 'second' }, true],
  ['second', { event_message: 'first', message: 'second' }, false],
  ['from-msg', { msg: 'from-msg' }, true],
  ['from-log', { log: 'from-log' }, true],
  ['from-text', { text: 'from-text' }, true],
  ['42', { message: 42 }, false], // a message that is not a string is no message
  // ~regex on the message (case-sensitive unless (?i))
  ['~FAILED', logflare, true],
  ['~failed', logflare, false],
  ['~(?i)failed', logflare, true],
  ['~"order \\d+:"', logflare, true],
  ['~^GET\\s/health', flat, true],
  ['~^/healthz', flat, false],
  ['~(declined|refused)', logflare, true],
  ['(~declined|refused)', logflare, true],
  ['~[)]', { message: 'a)b' }, true],
  // m.field:value equality
  ['m.level:error', logflare, true],
  ['m.level:ERROR', logflare, false],
  ['m.level:warn', logflare, false],
  ['metadata.level:error', logflare, true],
  ['m.request.method:POST', logflare, true],
  ['m.request.headers.user-agent:curl/8', logflare, true],
  ['m.msg:"two words"', logflare, true],
  ['m.msg:two', logflare, false],
  ['m.request.path:/api/pay', logflare, true],
  // numbers compare numerically when both sides are numeric
  ['m.status:503', logflare, true],
  ['m.status:503.0', logflare, true],
  ['m.status:5e2', logflare, false],
  ['m.status_text:503', logflare, true],
  ['m.status_text:503.0', logflare, true],
  ['m.status:"503"', logflare, true],
  ['m.status_text:"503.0"', logflare, false],
  ['m.retries:0', logflare, true],
  ['m.status:abc', logflare, false],
  // booleans
  ['m.ok:false', logflare, true],
  ['m.ok:true', logflare, false],
  ['m.ok:"false"', logflare, true],
  ['m.flag:true', { flag: 'true' }, true],
  ['m.flag:true', { flag: 1 }, false],
  // comparisons
  ['m.status:>500', logflare, true],
  ['m.status:>503', logflare, false],
  ['m.status:>=503', logflare, true],
  ['m.status:<503', logflare, false],
  ['m.status:<=503', logflare, true],
  ['m.status:<1000', logflare, true],
  ['m.latency_ms:>12', logflare, true],
  ['m.latency_ms:<12.5', logflare, false],
  ['m.status:>-1', logflare, true],
  ['m.level:>5', logflare, false], // a non-numeric field never compares with a number
  ['m.ts:>2025-01-01', logflare, true], // strings compare in code-unit order: ISO timestamps work
  ['m.ts:<2025-06-01T11', logflare, false],
  ['m.level:>d', logflare, true],
  ['m.status:>abc', logflare, false], // a number against a string bound: no
  // ranges, inclusive, numeric
  ['m.status:500..599', logflare, true],
  ['m.status:503..503', logflare, true],
  ['m.status:504..599', logflare, false],
  ['m.status:400..499', logflare, false],
  ['m.status_text:500..599', logflare, true],
  ['m.latency_ms:12.5..13', logflare, true],
  ['m.status:-10..-1', { status: -5 }, true],
  ['m.level:500..599', logflare, false],
  // field regex
  ['m.level:~^err', logflare, true],
  ['m.level:~^ERR', logflare, false],
  ['m.level:~(?i)^ERR', logflare, true],
  ['m.status:~^5\\d\\d$', logflare, true],
  ['m.request.path:~"^/api/(pay|refund)$"', logflare, true],
  ['m.tags:~billing', logflare, false], // arrays: use @>~
  ['m.missing:~.*', logflare, false],
  // array contains
  ['m.tags:@>billing', logflare, true],
  ['m.tags:@>"eu"', logflare, true],
  ['m.tags:@>us', logflare, false],
  ['m.tags:@>7', logflare, true],
  ['m.tags:@>"7"', logflare, true],
  ['m.level:@>error', logflare, false], // not an array
  ['m.tags:@>~^bill', logflare, true],
  ['m.tags:@>~^us', logflare, false],
  // NULL: missing or null
  ['m.region:NULL', logflare, true],
  ['m.region:null', logflare, true],
  ['m.nope:NULL', logflare, true],
  ['m.level:NULL', logflare, false],
  ['-m.level:NULL', logflare, true],
  ['-m.region:NULL', logflare, false],
  ['m.region:"NULL"', logflare, false],
  ['m.region:"NULL"', { region: 'NULL' }, true],
  // missing fields match nothing but NULL and negations
  ['m.nope:x', logflare, false],
  ['-m.nope:x', logflare, true],
  ['m.nope:>0', logflare, false],
  ['m.nope:0..10', logflare, false],
  ['m.nope:@>x', logflare, false],
  ['m.request:POST', logflare, false], // an object is no value
  ['m.level.x:error', logflare, false], // through a string
  ['m.nested_array.0.a:1', logflare, false], // no array indexing
  // m.field: metadata first, then the top level
  ['m.level:info', flat, false], // metadata.level (debug) wins over the top-level level
  ['m.level:debug', flat, true],
  ['m.status:200', flat, true],
  ['m.host.name:web-1', flat, true],
  ['m.metadata.level:debug', flat, true],
  // prototype paths find nothing
  ['m.__proto__:NULL', logflare, true],
  ['m.constructor:NULL', logflare, true],
  ['m.constructor.name:Object', logflare, false],
  ['m.__proto__.constructor.name:Object', flat, false],
  ['m.toString:~function', logflare, false],
  ['m.level.length:5', logflare, false],
  ['m.tags.length:3', logflare, false],
  ['m.__proto__:x', JSON.parse('{"__proto__": "x"}') as LogEvent, true], // an own key that JSON.parse made is data
  // negation
  ['-payment', logflare, false],
  ['-refund', logflare, true],
  ['-"health check"', logflare, false],
  ['-m.level:error', logflare, false],
  ['-m.level:warn', logflare, true],
  ['-~FAIL', logflare, false],
  ['-(m.level:warn OR m.level:info)', logflare, true],
  ['-(m.level:error OR m.level:info)', logflare, false],
  ['--payment', logflare, true],
  ['foo-bar', { message: 'x foo-bar y' }, true],
  ['m.status:>-1', { status: 0 }, true],
  // AND, OR, precedence, parentheses
  ['m.level:error m.service:payments', logflare, true],
  ['m.level:error AND m.service:payments', logflare, true],
  ['m.level:error m.service:orders', logflare, false],
  ['m.level:warn OR m.service:payments', logflare, true],
  ['m.level:warn OR m.service:orders', logflare, false],
  ['m.level:warn m.service:payments OR m.status:503', logflare, true], // (warn AND payments) OR 503
  ['m.level:warn AND m.service:payments OR m.status:503', logflare, true],
  ['m.status:503 OR m.level:warn m.service:orders', logflare, true], // 503 OR (warn AND orders)
  ['m.level:warn AND (m.service:payments OR m.status:503)', logflare, false],
  ['(m.level:warn OR m.level:error) m.service:payments', logflare, true],
  ['(m.level:warn OR m.level:error) m.service:orders', logflare, false],
  ['((payment))', logflare, true],
  ['(payment)(declined)', logflare, true],
  ['payment OR(refund)', logflare, true],
  ['zz OR yy OR xx OR payment', logflare, true],
  ['zz OR yy OR xx OR ww', logflare, false],
  ['payment failed order card declined', logflare, true],
  ['payment failed order card refunded', logflare, false],
  ['and', { message: 'this and that' }, true], // only upper-case AND/OR are operators
  ['"AND"', { message: 'A AND B' }, true],
  ['m.level:error -"health check" OR m.service:payments', logflare, true],
];

describe('LQL operators', () => {
  const matcher = compileRuleSet(cases.map((c) => c[0]));
  cases.forEach(([query, event, expected], i) => {
    test(`${query} → ${expected}`, () => {
      const c = compileLql(query);
      assert.ok(c.ok, c.ok ? '' : `column ${c.column}: ${c.message}`);
      assert.equal(c.predicate(event), expected, 'compileLql');
      assert.equal(matcher(event).includes(i), expected, 'compileRuleSet');
      const x = explainLql(query, event);
      assert.ok(x.ok);
      assert.equal(x.matched, expected, 'explainLql');
    });
  });
});

test('fields lists each m. path once, without the prefix', () => {
  const c = compileLql('m.level:error (m.level:warn OR metadata.a.b:1) -m.c:NULL payment');
  assert.ok(c.ok);
  assert.deepEqual(c.fields, [['level'], ['a', 'b'], ['c']]);
});

test('the rule set shares lookups and reports each matching rule in order, by both forms', () => {
  const m = compileRuleSet(['m.level:error', 'payment', 'm.level:info', 'm.status:500..599 -refund']);
  assert.equal(m.size, 4);
  assert.deepEqual(m(logflare), [0, 1, 3]);
  assert.deepEqual(m(flat), []); // flat: metadata.level (debug) wins over the top-level info
  const seen: number[] = [];
  assert.equal(m.forEachMatch(logflare, (i) => seen.push(i)), 3);
  assert.deepEqual(seen, [0, 1, 3]);
  // the per-event cache never leaks a value from one event into the next
  assert.deepEqual(m({ message: 'x', level: 'error' }), [0]);
  assert.deepEqual(m({ message: 'payment', level: 'info' }), [1, 2]);
});

test('compileRuleSet refuses a query that does not compile (config load checks them first)', () => {
  assert.throws(() => compileRuleSet(['ok', 'm.level:']), /query 1 does not compile \(column 9/);
});

test('a regex keeps no state between events', () => {
  const c = compileLql('~a');
  assert.ok(c.ok);
  for (let i = 0; i < 3; i++) assert.equal(c.predicate({ message: 'a' }), true);
});
