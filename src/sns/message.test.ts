import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalString, isSnsControl, readSnsControl, trustedSnsUrl, xmlValue } from './message.ts';

const confirmation = {
  Type: 'SubscriptionConfirmation',
  MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
  Token: 'tok123',
  TopicArn: 'arn:aws:sns:us-west-2:123456789012:MyTopic',
  Message: 'You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.',
  SubscribeURL: 'https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=tok123',
  Timestamp: '2012-04-26T20:45:04.751Z',
  SignatureVersion: '1',
  Signature: 'c2lnbmF0dXJl',
  SigningCertURL: 'https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem',
} as const;

test('canonical string of a confirmation: the seven signed fields, name and value on their own lines, in byte order', () => {
  assert.equal(
    canonicalString(confirmation),
    'Message\nYou have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.\n' +
      'MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n' +
      'SubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=tok123\n' +
      'Timestamp\n2012-04-26T20:45:04.751Z\n' +
      'Token\ntok123\n' +
      'TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n' +
      'Type\nSubscriptionConfirmation\n',
  );
  assert.match(canonicalString({ ...confirmation, Type: 'UnsubscribeConfirmation' }), /\nType\nUnsubscribeConfirmation\n$/);
});

test('canonical string of a notification: Subject only when present, no SubscribeURL or Token', () => {
  const n = { Type: 'Notification' as const, MessageId: 'm1', TopicArn: 'arn:t', Message: 'Hello world!', Timestamp: '2012-05-02T00:54:06.655Z' };
  assert.equal(canonicalString({ ...n, Subject: 'My First Message' }), 'Message\nHello world!\nMessageId\nm1\nSubject\nMy First Message\nTimestamp\n2012-05-02T00:54:06.655Z\nTopicArn\narn:t\nType\nNotification\n');
  assert.equal(canonicalString(n), 'Message\nHello world!\nMessageId\nm1\nTimestamp\n2012-05-02T00:54:06.655Z\nTopicArn\narn:t\nType\nNotification\n');
});

test('control messages are told apart by the SNS header, or by Type next to TopicArn', () => {
  assert.equal(isSnsControl(confirmation, 'SubscriptionConfirmation'), true);
  assert.equal(isSnsControl(confirmation, undefined), true);
  assert.equal(isSnsControl({ ...confirmation, Type: 'UnsubscribeConfirmation' }, undefined), true);
  assert.equal(isSnsControl({ title: 'x' }, 'UnsubscribeConfirmation'), true, 'the header alone says so');
  assert.equal(isSnsControl({ ...confirmation, Type: 'Notification' }, 'Notification'), false, 'notifications go to the parser');
  assert.equal(isSnsControl({ Type: 'SubscriptionConfirmation', title: 'a Versus body with a Type field' }, undefined), false);
  assert.equal(isSnsControl([confirmation], undefined), false);
  assert.equal(isSnsControl('text', undefined), false);
});

test('reading a control message names every missing field', () => {
  const r = readSnsControl(confirmation);
  assert.ok(r.ok);
  assert.equal(r.value.Token, 'tok123');
  const { Signature: _s, SigningCertURL: _c, ...unsigned } = confirmation;
  const bad = readSnsControl({ ...unsigned, Token: 7 });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems.map((p) => p.field), ['Token', 'Signature', 'SigningCertURL']);
  const notControl = readSnsControl({ ...confirmation, Type: 'Notification' });
  assert.ok(!notControl.ok && notControl.problems[0]!.field === 'Type');
  assert.ok(!readSnsControl([]).ok);
});

test('only https URLs on sns.<region>.amazonaws.com are trusted', () => {
  const cert = (u: string) => trustedSnsUrl(u, 'certificate');
  const good = [
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem',
    'https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-abc.pem',
    'https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem',
    'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem',
    'https://sns.ap-southeast-2.amazonaws.com:443/SimpleNotificationService-abc.pem',
  ];
  for (const u of good) assert.ok(cert(u).ok, u);
  const bad: [string, RegExp][] = [
    ['https://sns.evil.com/SimpleNotificationService-abc.pem', /host sns\.evil\.com is not AWS SNS/],
    ['https://sns.us-east-1.amazonaws.com.evil.net/x.pem', /not AWS SNS/],
    ['https://evil-sns.us-east-1.amazonaws.com/x.pem', /not AWS SNS/],
    ['https://sns.us-east-1.evil.amazonaws.com/x.pem', /not AWS SNS/],
    ['https://s3.us-east-1.amazonaws.com/x.pem', /not AWS SNS/],
    ['https://sns.amazonaws.com/x.pem', /not AWS SNS/],
    ['https://amazonaws.com/x.pem', /not AWS SNS/],
    ['https://sns.us-east-1.amazonaws.com@evil.com/x.pem', /not AWS SNS/],
    ['http://sns.us-east-1.amazonaws.com/x.pem', /https/],
    ['https://sns.us-east-1.amazonaws.com:8443/x.pem', /no port/],
    ['https://user:pw@sns.us-east-1.amazonaws.com/x.pem', /credentials/],
    ['https://sns.us-east-1.amazonaws.com/x.txt', /\.pem/],
    ['file:///etc/passwd', /https/],
    ['not a url', /not a URL/],
  ];
  for (const [u, why] of bad) {
    const r = cert(u);
    assert.ok(!r.ok, u);
    assert.match(r.message, why, u);
  }
  assert.ok(trustedSnsUrl(confirmation.SubscribeURL, 'subscribe').ok);
  const unsubscribe = trustedSnsUrl('https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x', 'subscribe');
  assert.ok(!unsubscribe.ok && /ConfirmSubscription/.test(unsubscribe.message));
  assert.ok(!trustedSnsUrl('https://sns.evil.com/?Action=ConfirmSubscription&Token=t', 'subscribe').ok);
});

test('values from SNS XML answers', () => {
  const xml = '<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn:aws:sns:us-west-2:1:T:2b</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>';
  assert.equal(xmlValue(xml, 'SubscriptionArn'), 'arn:aws:sns:us-west-2:1:T:2b');
  assert.equal(xmlValue('<ErrorResponse><Error><Code>InvalidParameter</Code></Error></ErrorResponse>', 'Code'), 'InvalidParameter');
  assert.equal(xmlValue('nothing', 'Code'), undefined);
});
