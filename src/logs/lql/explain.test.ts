import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainLql, formatExplanation } from './explain.ts';

test('explain says for each term whether it matched and what value it saw', () => {
  const x = explainLql('m.level:error m.status:>=500 -"health check" (m.region:NULL OR ~^Pay) m.tags:@>eu', {
    event_message: 'Payment failed',
    metadata: { level: 'warn', status: 503, region: 'eu', tags: ['us'] },
  });
  assert.ok(x.ok);
  assert.equal(x.matched, false);
  assert.deepEqual(formatExplanation(x.tree), [
    '✗ all of  — 2 of 5 terms do not match',
    '  ✗ m.level:error  — m.level is "warn"; it must equal error',
    '  ✓ m.status:>=500  — m.status is 503',
    '  ✓ -"health check"  — the negated term does not match',
    '    ✗ "health check"  — the message does not contain "health check" (any case)',
    '  ✓ any of  — 1 of 2 terms match',
    '    ✗ m.region:NULL  — m.region is "eu"; it must be missing or null',
    '    ✓ ~^Pay  — the message matches /^Pay/',
    '  ✗ m.tags:@>eu  — m.tags is ["us"]; it must be an array containing eu',
  ]);
  assert.equal(x.tree.children?.[0]?.column, 1);
  assert.equal(x.tree.children?.[1]?.column, 15);
});

test('explain names a missing field and a missing message, and cuts long values', () => {
  const x = explainLql('m.user.id:42 word', { metadata: { user: {} }, note: 'x' });
  assert.ok(x.ok);
  const [field, word] = x.tree.children!;
  assert.equal(field!.why, 'm.user.id is missing; it must equal 42');
  assert.match(word!.why, /the event has no message/);
  const long = explainLql('m.a:x', { a: 'y'.repeat(500) });
  assert.ok(long.ok);
  assert.ok(long.tree.why.length < 140, long.tree.why);
});

test('explain of a query that does not parse is the parse error', () => {
  assert.deepEqual(explainLql('m.x:', {}), { ok: false, column: 5, message: 'expected a value after "m.x:"' });
});
