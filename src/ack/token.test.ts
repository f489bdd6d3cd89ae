import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ackLinkFor, signAck, verifyAck, withoutAckToken } from './token.ts';

const SECRET = 'a'.repeat(40);
const NOW = 1_800_000_000_000;
const claim = { alertId: '01JABCDEF0123456789XYZABCD', episode: 2, expiresAt: NOW / 1000 + 3600 };

test('a signed token verifies and gives back what it names', () => {
  const t = signAck(SECRET, claim);
  assert.match(t, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  assert.deepEqual(verifyAck(SECRET, t, NOW), { ok: true, claim });
});

test('expired: a genuine token past its time says which alert, and is refused', () => {
  const t = signAck(SECRET, claim);
  assert.deepEqual(verifyAck(SECRET, t, claim.expiresAt * 1000), { ok: false, reason: 'expired', claim });
  assert.equal(verifyAck(SECRET, t, claim.expiresAt * 1000 - 1).ok, true);
});

test('tampered: any change to the message or the MAC, or another secret', () => {
  const t = signAck(SECRET, claim);
  const [msg, mac] = t.split('.') as [string, string];
  const otherEpisode = Buffer.from(`v1\n${claim.alertId}\n3\n${claim.expiresAt}`).toString('base64url');
  const longer = Buffer.from(`v1\n${claim.alertId}\n2\n${claim.expiresAt + 86400}`).toString('base64url');
  assert.deepEqual(verifyAck(SECRET, `${otherEpisode}.${mac}`, NOW), { ok: false, reason: 'tampered' });
  assert.deepEqual(verifyAck(SECRET, `${longer}.${mac}`, NOW), { ok: false, reason: 'tampered' });
  const flipped = mac.slice(0, 10) + (mac[10] === 'A' ? 'B' : 'A') + mac.slice(11);
  assert.deepEqual(verifyAck(SECRET, `${msg}.${flipped}`, NOW), { ok: false, reason: 'tampered' });
  assert.deepEqual(verifyAck('b'.repeat(40), t, NOW), { ok: false, reason: 'tampered' });
  assert.deepEqual(verifyAck(SECRET, `${msg}x.${mac}`, NOW), { ok: false, reason: 'tampered' }, 'a stray character the decoder would drop');
});

test('the episode is part of what is signed: another episode has another token', () => {
  assert.notEqual(signAck(SECRET, claim), signAck(SECRET, { ...claim, episode: 3 }));
  assert.equal((verifyAck(SECRET, signAck(SECRET, { ...claim, episode: 3 }), NOW) as { claim: { episode: number } }).claim.episode, 3);
});

test('malformed tokens are refused without a throw', () => {
  for (const t of ['', '.', 'abc', 'a.b', `${'x'.repeat(700)}.${'y'.repeat(22)}`, 'a b.c', '%2e%2e']) {
    assert.equal(verifyAck(SECRET, t, NOW).ok, false, t);
  }
  // Validly signed, but not a message we make (a MAC over junk with the right secret): malformed, not accepted.
  assert.equal(verifyAck(SECRET, signAck(SECRET, { alertId: 'x\ny', episode: 1, expiresAt: claim.expiresAt }), NOW).ok, false);
});

test('links: only a firing, unacknowledged, non-test state gets one; it expires link_ttl after the state', () => {
  const s = { secret: SECRET, publicUrl: 'https://tocsin.example.com', linkTtlMs: 7 * 86_400_000 };
  const p = { alertId: claim.alertId, episode: 1, status: 'firing', at: NOW };
  const url = ackLinkFor(s, p)!;
  assert.ok(url.startsWith('https://tocsin.example.com/ack/'));
  assert.equal(url, ackLinkFor(s, p), 'the same state gives the same link (retries, signed webhooks)');
  const v = verifyAck(SECRET, url.slice(url.lastIndexOf('/') + 1), NOW);
  assert.deepEqual(v, { ok: true, claim: { alertId: claim.alertId, episode: 1, expiresAt: (NOW + s.linkTtlMs) / 1000 } });
  assert.equal(ackLinkFor(undefined, p), undefined);
  assert.equal(ackLinkFor(s, { ...p, status: 'resolved' }), undefined);
  assert.equal(ackLinkFor(s, { ...p, acknowledged: { at: NOW } }), undefined);
  assert.equal(ackLinkFor(s, { ...p, test: true }), undefined);
  assert.ok(!url.includes(SECRET));
});

test("a send's outcome loses the link's token wherever the answer echoed it", () => {
  const url = `https://t.example/ack/${signAck(SECRET, claim)}`;
  const token = url.slice(url.lastIndexOf('/') + 1);
  const out = withoutAckToken({ kind: 'delivered' as const, statusCode: 200, responseExcerpt: `{"url":"https:\\/\\/t.example\\/ack\\/${token}"}`, detail: 'posted' }, url);
  assert.equal(out.responseExcerpt, '{"url":"https:\\/\\/t.example\\/ack\\/…"}');
  assert.equal(out.detail, 'posted');
});
