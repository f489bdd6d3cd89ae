import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeSnsPki, redirectingDispatcher, startFakeSns, subscriptionConfirmation, unsubscribeConfirmation } from '../../test/sns-pki.ts';
import { handleSnsControl } from './confirm.ts';
import { SnsHttp } from './fetch.ts';

const pki = makeSnsPki();
const sns = await startFakeSns(pki);
const dispatcher = redirectingDispatcher(sns.port, pki.caPem);
after(async () => {
  await dispatcher.close();
  await sns.close();
});
const now = () => new Date();
const confirmCalls = () => sns.requests.filter((r) => r.includes('Action=ConfirmSubscription'));

test('a signed SubscriptionConfirmation is confirmed by GET-ting its SubscribeURL', async () => {
  const http = new SnsHttp({ dispatcher });
  const before = sns.requests.length;
  const m = subscriptionConfirmation(pki.signingKey, {}, '2');
  const r = await handleSnsControl(m, http, now);
  assert.deepEqual(r, {
    status: 200,
    result: 'confirmed',
    type: 'SubscriptionConfirmation',
    topicArn: m.TopicArn,
    messageId: m.MessageId,
    subscriptionArn: `${m.TopicArn}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
  });
  assert.deepEqual(sns.requests.slice(before), [new URL(m.SigningCertURL).host + new URL(m.SigningCertURL).pathname, new URL(m.SubscribeURL).host + '/' + new URL(m.SubscribeURL).search]);
  // SNS resends until answered: a repeat is confirmed again, with the certificate from the cache.
  assert.equal((await handleSnsControl(m, http, now)).status, 200);
  assert.equal(sns.requests.length, before + 3);
});

test('an UnsubscribeConfirmation is verified and acknowledged; its SubscribeURL (a re-subscribe) is not called', async () => {
  const before = confirmCalls().length;
  const m = unsubscribeConfirmation(pki.signingKey);
  const r = await handleSnsControl(m, new SnsHttp({ dispatcher }), now);
  assert.equal(r.status, 200);
  assert.equal(r.status === 200 && r.result, 'acknowledged');
  assert.equal(confirmCalls().length, before);
});

test('untrusted URLs are refused before any request is made', async () => {
  const http = new SnsHttp({ dispatcher });
  const before = sns.requests.length;
  const cases: [Record<string, string>, RegExp][] = [
    [{ SigningCertURL: 'https://sns.evil.com/SimpleNotificationService-x.pem' }, /^SigningCertURL must be on .*sns\.evil\.com is not AWS SNS/],
    [{ SigningCertURL: 'https://sns.us-east-1.amazonaws.com.evil.net/x.pem' }, /^SigningCertURL .*not AWS SNS/],
    [{ SubscribeURL: 'https://sns.evil.com/?Action=ConfirmSubscription&Token=t' }, /^SubscribeURL .*not AWS SNS/],
    [{ SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x' }, /^SubscribeURL must be a ConfirmSubscription call/],
  ];
  for (const [over, why] of cases) {
    // Signed with the real key, so only the URL check can stop it.
    const r = await handleSnsControl(subscriptionConfirmation(pki.signingKey, over), http, now);
    assert.equal(r.status, 400, JSON.stringify(over));
    assert.equal(r.status === 400 && r.code, 'sns_untrusted_url');
    assert.match(r.status === 400 ? r.message : '', why);
  }
  assert.equal(sns.requests.length, before);
});

test('a forged or tampered message is a 400 and nothing is confirmed', async () => {
  const http = new SnsHttp({ dispatcher });
  const before = confirmCalls().length;
  const forged = await handleSnsControl(subscriptionConfirmation(pki.otherKey), http, now);
  assert.equal(forged.status === 400 && forged.code, 'sns_signature_invalid');
  const signed = subscriptionConfirmation(pki.signingKey);
  const tampered = await handleSnsControl({ ...signed, SubscribeURL: signed.SubscribeURL.replace('tocsin-alarms', 'other-topic') }, http, now);
  assert.equal(tampered.status === 400 && tampered.code, 'sns_signature_invalid');
  const v9 = await handleSnsControl({ ...signed, SignatureVersion: '9' }, http, now);
  assert.equal(v9.status === 400 && v9.code, 'sns_signature_invalid');
  const missing = await handleSnsControl({ Type: 'SubscriptionConfirmation', TopicArn: 'arn:aws:sns:us-east-1:1:t' }, http, now);
  assert.equal(missing.status === 400 && missing.code, 'invalid_body');
  assert.match(missing.status === 400 ? missing.message : '', /Token: required/);
  const expired = await handleSnsControl(signed, http, () => new Date(Date.now() + 30 * 86_400_000));
  assert.equal(expired.status === 400 && expired.code, 'sns_certificate_unusable');
  assert.equal(confirmCalls().length, before);
});

test('AWS down while verifying or confirming is a 503 (SNS retries); AWS refusing the confirmation is a 502', async () => {
  const m = subscriptionConfirmation(pki.signingKey, { SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-outage.pem' });
  const http = new SnsHttp({ dispatcher });
  sns.fail(503);
  const certDown = await handleSnsControl(m, http, now);
  assert.equal(certDown.status, 503);
  assert.match(certDown.status === 503 ? certDown.message : '', /signing certificate.*503/);
  sns.drop();
  assert.equal((await handleSnsControl(m, http, now)).status, 503, 'connection dropped');

  assert.equal((await handleSnsControl(m, http, now)).status, 200, 'the certificate is now cached');
  sns.fail(500);
  const confirmDown = await handleSnsControl(m, http, now);
  assert.equal(confirmDown.status, 503);
  assert.match(confirmDown.status === 503 ? confirmDown.message : '', /could not confirm the subscription \(AWS SNS answered 500/);
  sns.fail(403);
  const refused = await handleSnsControl(m, http, now);
  assert.equal(refused.status === 502 && refused.code, 'sns_confirmation_refused');
  assert.doesNotMatch(JSON.stringify([certDown, confirmDown, refused]), new RegExp(m.Token), 'no outcome carries the subscribe token');
});

test('a certificate URL that AWS answers with 404 cannot verify anything: 400', async () => {
  sns.fail(404);
  const r = await handleSnsControl(subscriptionConfirmation(pki.signingKey, { SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-gone.pem' }), new SnsHttp({ dispatcher }), now);
  assert.equal(r.status === 400 && r.code, 'sns_certificate_unusable');
});
