import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSnsPki, signSns, snsStringToSign, subscriptionConfirmation, unsubscribeConfirmation } from '../../test/sns-pki.ts';
import { readSnsControl, type SnsControlMessage } from './message.ts';
import { verifySnsSignature } from './verify.ts';

const pki = makeSnsPki();
const now = new Date();

function control(m: Record<string, string>): SnsControlMessage {
  const r = readSnsControl(m);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.value;
}

test('SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA) verify, for both control messages', () => {
  for (const version of ['1', '2'] as const) {
    assert.deepEqual(verifySnsSignature(control(subscriptionConfirmation(pki.signingKey, {}, version)), pki.signingCert, now), { ok: true }, `v${version}`);
  }
  assert.deepEqual(verifySnsSignature(control(unsubscribeConfirmation(pki.signingKey)), pki.signingCert, now), { ok: true });
});

test('a notification verifies with and without Subject', () => {
  const n = { Type: 'Notification', MessageId: 'm1', TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: '{"AlarmName":"x"}', Timestamp: '2026-05-02T00:54:06.655Z' };
  for (const m of [n, { ...n, Subject: 'ALARM: "x"' }]) {
    const signed = signSns(m, pki.signingKey, '2') as typeof m & { Type: 'Notification'; SignatureVersion: string; Signature: string };
    assert.deepEqual(verifySnsSignature(signed, pki.signingCert, now), { ok: true });
    assert.equal(verifySnsSignature({ ...signed, Subject: 'changed' }, pki.signingCert, now).ok, false);
  }
});

test('a signature made by openssl itself (not node) over the documented string verifies', () => {
  const m = subscriptionConfirmation(pki.signingKey);
  writeFileSync(join(pki.dir, 'to-sign.txt'), snsStringToSign(m));
  const sig = execFileSync('openssl', ['dgst', '-sha1', '-sign', join(pki.dir, 'signing.key'), join(pki.dir, 'to-sign.txt')]);
  assert.deepEqual(verifySnsSignature(control({ ...m, Signature: sig.toString('base64') }), pki.signingCert, now), { ok: true });
});

test('any change to a signed field breaks the signature', () => {
  const signed = subscriptionConfirmation(pki.signingKey);
  for (const field of ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn'] as const) {
    const tampered = { ...signed, [field]: `${signed[field]}x` };
    const r = verifySnsSignature(control(tampered), pki.signingCert, now);
    assert.equal(r.ok, false, field);
    assert.equal(!r.ok && r.reason, 'bad_signature', field);
  }
  const retyped = verifySnsSignature(control({ ...signed, Type: 'UnsubscribeConfirmation' }), pki.signingCert, now);
  assert.equal(!retyped.ok && retyped.reason, 'bad_signature', 'a confirmation cannot pass for an unsubscribe');
});

test('unsigned fields are not covered: SigningCertURL may differ (the caller checks its host)', () => {
  const signed = subscriptionConfirmation(pki.signingKey);
  assert.deepEqual(verifySnsSignature(control({ ...signed, SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/other.pem' }), pki.signingCert, now), { ok: true });
});

test('wrong key, wrong version, garbage signature, unusable certificates', () => {
  const byOther = verifySnsSignature(control(subscriptionConfirmation(pki.otherKey)), pki.signingCert, now);
  assert.equal(!byOther.ok && byOther.reason, 'bad_signature');

  const v1 = subscriptionConfirmation(pki.signingKey, {}, '1');
  const asV2 = verifySnsSignature(control({ ...v1, SignatureVersion: '2' }), pki.signingCert, now);
  assert.equal(!asV2.ok && asV2.reason, 'bad_signature', 'a v1 signature claimed as v2');
  const v3 = verifySnsSignature(control({ ...v1, SignatureVersion: '3' }), pki.signingCert, now);
  assert.equal(!v3.ok && v3.reason, 'unsupported_version');
  assert.match(!v3.ok ? v3.message : '', /"3"/);

  for (const sig of ['', 'not base64 at all!!', Buffer.alloc(256).toString('base64')]) {
    const r = verifySnsSignature({ ...control(v1), Signature: sig }, pki.signingCert, now);
    assert.equal(!r.ok && r.reason, 'bad_signature', JSON.stringify(sig));
  }
  for (const pem of ['', 'not a certificate', pki.signingKey, pki.ecCert]) {
    const r = verifySnsSignature(control(v1), pem, now);
    assert.equal(!r.ok && r.reason, 'bad_certificate');
  }
  const later = new Date(now.getTime() + 10 * 86_400_000);
  const expired = verifySnsSignature(control(v1), pki.signingCert, later);
  assert.equal(!expired.ok && expired.reason, 'expired_certificate');
});
