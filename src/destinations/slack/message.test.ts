import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockProblem } from '../../../test/standins/slack.ts';
import type { DeliveryPayload } from '../types.ts';
import { buildMessage, clip, escape, LIMITS } from './message.ts';
import { deliveryPayload } from '../../../test/payloads.ts';

const p = (over: Partial<DeliveryPayload> = {}): DeliveryPayload =>
  deliveryPayload({ severity: 'critical', metadata: { service: 'db', team: ['storage', 'infra'], nested: { a: 1 } }, ...over });

test('a plain alert: header, status line, fields of scalar metadata, context; valid Block Kit', () => {
  const m = buildMessage(p({ sourceUrl: 'https://grafana.example/d/1?a=1&b=2' }));
  assert.equal(blockProblem(m.blocks), undefined);
  assert.equal(m.text, 'CRITICAL: Disk full');
  assert.deepEqual(m.blocks[0], { type: 'header', text: { type: 'plain_text', text: 'Disk full', emoji: true } });
  const fields = m.blocks.find((b) => b.type === 'section' && 'fields' in b && b.fields) as { fields: { text: string }[] };
  assert.deepEqual(fields.fields.map((f) => f.text), ['*service*\ndb', '*team*\nstorage, infra']);
  assert.match(JSON.stringify(m.blocks.at(-1)), /<https:\/\/grafana\.example\/d\/1\?a=1&amp;b=2\|source>/);
});

test('resolved and test messages say so', () => {
  assert.equal(buildMessage(p({ status: 'resolved' })).text, 'Resolved: Disk full');
  assert.match(JSON.stringify(buildMessage(p({ status: 'resolved' })).blocks[0]), /Resolved: Disk full/);
  assert.equal(buildMessage(p({ test: true })).text, '[test] CRITICAL: Disk full');
});

test("a sender's text cannot become a mention or a link", () => {
  const m = buildMessage(p({ description: '<!channel> see <https://evil.example|here> & more' }));
  assert.equal(escape('<!channel> & >'), '&lt;!channel&gt; &amp; &gt;');
  assert.ok(!JSON.stringify(m.blocks).includes('<!channel>'));
});

test('within every limit, whatever the alert holds', () => {
  const huge = '🔥'.repeat(20_000);
  const metadata = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`key${i}`, `${'&'.repeat(3000)}${i}`]));
  const m = buildMessage(p({ title: huge, description: `${'<'.repeat(5000)}${huge}`, metadata, sourceUrl: `https://x.example/${'a'.repeat(5000)}` }));
  assert.equal(blockProblem(m.blocks), undefined);
  assert.ok(m.blocks.length <= LIMITS.blocks);
  assert.ok(m.text.length <= LIMITS.text);
  const header = m.blocks[0] as { text: { text: string } };
  assert.ok(header.text.text.length <= 150);
  // No lone surrogate: the cut never splits an emoji.
  assert.doesNotMatch(JSON.stringify(m), /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i);
  assert.ok(!/&am…|&a…|&l…/.test(JSON.stringify(m)), 'no half entity');
});

test('clip: exact length kept, one over cut to the limit with …', () => {
  assert.equal(clip('abc', 3), 'abc');
  assert.equal(clip('abcd', 3), 'ab…');
  assert.equal(clip('a😀b', 3), 'a…');
  assert.equal(clip('😀😀', 3), '😀…');
});
