import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ADMIN_TOKEN, Emulator, ROOT, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { makeSnsPki, signSns, startFakeSns, subscriptionConfirmation, unsubscribeConfirmation, type FakeSns, type SnsPki } from '../sns-pki.ts';

/**
 * AWS SNS → tocsin end to end, through a real tocsin process and real HTTPS, with AWS played on 127.0.0.1.
 *
 * How AWS is played without any switch in tocsin: the child process trusts the test's CA (NODE_EXTRA_CA_CERTS) and
 * is preloaded with test/sns-redirect.ts, which makes undici's global dispatcher dial the local HTTPS server for
 * *.amazonaws.com. tocsin still requests https://sns.us-east-1.amazonaws.com/..., still checks the host name in the
 * message, and still verifies TLS for that name: the path it takes is production's, only the network is local.
 */
const AWS_TOKEN = 'aws-sns-source-token-5e4d3c2b1a0f';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:tocsin-alarms';

/** The headers SNS sends with every POST (documented: sns-message-and-json-formats.html). */
function snsHeaders(m: { Type: string; MessageId: string; TopicArn: string }): Record<string, string> {
  return {
    'content-type': 'text/plain; charset=UTF-8',
    'x-amz-sns-message-type': m.Type,
    'x-amz-sns-message-id': m.MessageId,
    'x-amz-sns-topic-arn': m.TopicArn,
    ...(m.Type === 'Notification' ? { 'x-amz-sns-subscription-arn': `${m.TopicArn}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55` } : {}),
    'user-agent': 'Amazon Simple Notification Service Agent',
  };
}

/** A CloudWatch alarm state change as SNS delivers it (the alarm JSON, as a string, in Message). */
function alarmNotification(pki: SnsPki, state: 'ALARM' | 'OK', messageId: string) {
  const alarm = {
    AlarmName: 'orders-db-cpu-high',
    AlarmDescription: 'orders database CPU above 80% for 5 minutes',
    AWSAccountId: '123456789012',
    AlarmConfigurationUpdatedTimestamp: '2026-04-30T09:12:44.611+0000',
    NewStateValue: state,
    NewStateReason: state === 'ALARM' ? 'Threshold Crossed: 5 datapoints [91.3, 88.0, 93.1, 90.2, 89.9] were greater than the threshold (80.0).' : 'Threshold Crossed: 1 datapoint [41.0] was not greater than the threshold (80.0).',
    StateChangeTime: '2026-05-02T10:00:00.000+0000',
    Region: 'US East (N. Virginia)',
    AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-db-cpu-high',
    OldStateValue: state === 'ALARM' ? 'OK' : 'ALARM',
    OKActions: [TOPIC],
    AlarmActions: [TOPIC],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: 'CPUUtilization', Namespace: 'AWS/RDS', StatisticType: 'Statistic', Statistic: 'AVERAGE', Unit: null,
      Dimensions: [{ value: 'orders-db', name: 'DBInstanceIdentifier' }], Period: 60, EvaluationPeriods: 5, ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 80.0, TreatMissingData: 'missing', EvaluateLowSampleCountPercentile: '',
    },
  };
  const signed = signSns(
    { Type: 'Notification', MessageId: messageId, TopicArn: TOPIC, Subject: `${state}: "orders-db-cpu-high" in US East (N. Virginia)`, Message: JSON.stringify(alarm), Timestamp: '2026-05-02T10:00:01.000Z' },
    pki.signingKey,
  );
  return { ...signed, SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000000000000a.pem', UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:2bcfbf39` };
}

describe('AWS SNS end to end: text/plain JSON, subscription confirmed after signature check', () => {
  let pki: SnsPki;
  let aws: FakeSns;
  let emu: Emulator;
  let gw: TocsinProcess;
  const secrets: string[] = [AWS_TOKEN];

  const post = (m: Record<string, string>, path = `/ingest/aws?token=${AWS_TOKEN}`, headers: Record<string, string> = {}) =>
    http('POST', `${gw.url}${path}`, { raw: JSON.stringify(m), headers: { ...snsHeaders(m as never), ...headers } });
  const confirmCalls = () => aws.requests.filter((r) => r.includes('Action=ConfirmSubscription'));
  const certCalls = () => aws.requests.filter((r) => r.endsWith('.pem'));

  before(async () => {
    pki = makeSnsPki();
    aws = await startFakeSns(pki);
    emu = await Emulator.start();
    const dir = tempDir();
    const port = await freePort();
    const sources = { aws: { type: 'versus', token: AWS_TOKEN }, app: { type: 'alerts', token: 'app-source-token-0123456789' } };
    gw = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { sources, log_level: 'debug', delivery: { poll_interval: '100ms' } })), {
      port,
      env: {
        NODE_EXTRA_CA_CERTS: pki.caPath,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import tsx --import ${join(ROOT, 'test/sns-redirect.ts')}`.trim(),
        TOCSIN_TEST_SNS_PORT: String(aws.port),
      },
    });
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
    await aws?.close();
  });

  test('a SubscriptionConfirmation is verified and confirmed by tocsin, once per message, the certificate cached', async () => {
    const m = subscriptionConfirmation(pki.signingKey, { Token: 'sns-confirm-token-1111aaaa2222bbbb3333cccc' });
    secrets.push(m.Token);
    const r = await post(m);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.sns, {
      type: 'SubscriptionConfirmation',
      result: 'confirmed',
      topic_arn: TOPIC,
      subscription_arn: `${TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
      message: `subscription to ${TOPIC} confirmed: SNS now delivers its notifications to source aws`,
    });
    assert.deepEqual(certCalls(), ['sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000000000000a.pem']);
    assert.equal(confirmCalls().length, 1);
    assert.ok(confirmCalls()[0]!.endsWith(`&Token=${m.Token}`), 'the SubscribeURL from the message, as given');

    // HTTP Basic (https://sns:<token>@host/...) on Versus' own path, signature version 2: same certificate, no new fetch.
    const m2 = subscriptionConfirmation(pki.signingKey, { Token: 'sns-confirm-token-4444dddd5555eeee6666ffff', MessageId: 'a8b9c0d1-0000-4000-8000-000000000002' }, '2');
    secrets.push(m2.Token);
    const basic = `Basic ${Buffer.from(`sns:${AWS_TOKEN}`).toString('base64')}`;
    const r2 = await post(m2, '/api/incidents', { authorization: basic });
    assert.equal(r2.status, 200, r2.text);
    assert.equal(certCalls().length, 1, 'the certificate came from the cache');
    assert.equal(confirmCalls().length, 2);
    await waitFor('the confirmation log line', () => gw.output.some((l) => l.includes('"msg":"SNS subscription confirmed"') && l.includes(`"topic_arn":"${TOPIC}"`)));
  });

  test('notifications posted as text/plain reach the parser: a CloudWatch alarm fires, then resolves', async () => {
    const fired = await post(alarmNotification(pki, 'ALARM', '3f0c7a52-1111-5b6e-9f00-000000000001'));
    assert.equal(fired.status, 202, fired.text);
    assert.equal(fired.body.results[0].result, 'created');
    const key = 'aws:arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-db-cpu-high';
    const alert = await waitFor('the alarm firing in incident.io', async () => (await emu.alerts()).find((a) => a.deduplication_key === key && a.status === 'firing'));
    assert.equal(alert.title, 'orders-db-cpu-high');
    const resolved = await post(alarmNotification(pki, 'OK', '3f0c7a52-1111-5b6e-9f00-000000000002'));
    assert.equal(resolved.status, 202, resolved.text);
    await waitFor('the alarm resolved in incident.io', async () => (await emu.alerts()).find((a) => a.deduplication_key === key && a.status === 'resolved'));
  });

  test('forged messages and foreign certificate hosts are refused with a 400, and nothing is fetched or confirmed', async () => {
    const [certs, confirms] = [certCalls().length, confirmCalls().length];
    const forged = await post(subscriptionConfirmation(pki.otherKey, { Token: 'forged-token-000' }));
    assert.equal(forged.status, 400, forged.text);
    assert.equal(forged.body.error.code, 'sns_signature_invalid');
    const signed = subscriptionConfirmation(pki.signingKey);
    const tampered = await post({ ...signed, TopicArn: 'arn:aws:sns:us-east-1:666666666666:attacker' });
    assert.equal(tampered.body.error.code, 'sns_signature_invalid');
    for (const host of ['sns.evil.com', 'sns.us-east-1.amazonaws.com.evil.net', 'evil.amazonaws.com']) {
      const r = await post(subscriptionConfirmation(pki.signingKey, { SigningCertURL: `https://${host}/SimpleNotificationService-x.pem` }));
      assert.equal(r.status, 400, host);
      assert.equal(r.body.error.code, 'sns_untrusted_url');
      assert.match(r.body.error.message, new RegExp(`host ${host.replaceAll('.', '\\.')} is not AWS SNS`));
    }
    const subscribeElsewhere = await post(subscriptionConfirmation(pki.signingKey, { SubscribeURL: 'https://sns.evil.com/?Action=ConfirmSubscription&Token=t' }));
    assert.equal(subscribeElsewhere.body.error.code, 'sns_untrusted_url');
    assert.equal(certCalls().length, certs, 'no certificate fetched for a foreign host (the forged ones reuse the cached one)');
    assert.equal(confirmCalls().length, confirms);
    // Without the source token, SNS's message is not even read.
    const { 'x-amz-sns-message-type': _t, ...plain } = snsHeaders(signed);
    const anonymous = await http('POST', `${gw.url}/ingest/aws`, { raw: JSON.stringify(signed), headers: plain });
    assert.equal(anonymous.status, 401);
  });

  test('AWS down while fetching the certificate: 503 with Retry-After, and SNS retrying gets it confirmed', async () => {
    const m = subscriptionConfirmation(pki.signingKey, { Token: 'sns-confirm-token-7777aaaa8888bbbb', SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-rotated.pem' });
    secrets.push(m.Token);
    aws.fail(503);
    const certDown = await post(m);
    assert.equal(certDown.status, 503, certDown.text);
    assert.equal(certDown.body.error.code, 'sns_unavailable');
    assert.ok(Number(certDown.headers['retry-after']) > 0);
    aws.drop();
    assert.equal((await post(m)).status, 503, 'connection dropped');
    // SNS's next retry: the certificate comes, the subscription is confirmed.
    const before = confirmCalls().length;
    const retried = await post(m);
    assert.equal(retried.status, 200, retried.text);
    assert.equal(confirmCalls().length, before + 1);
  });

  test('a confirmation call failing is a 503; AWS refusing it is a 502', async () => {
    const m = subscriptionConfirmation(pki.signingKey, { Token: 'sns-confirm-token-9999cccc0000dddd' });
    secrets.push(m.Token);
    assert.equal((await post(m)).status, 200, 'certificate cached, confirmation works');
    aws.fail(503);
    const down = await post(m);
    assert.equal(down.status, 503, down.text);
    assert.match(down.body.error.message, /could not confirm the subscription \(AWS SNS answered 503/);
    aws.fail(403);
    const refused = await post(m);
    assert.equal(refused.status, 502, refused.text);
    assert.equal(refused.body.error.code, 'sns_confirmation_refused');
    assert.match(refused.body.error.message, /AuthorizationError/);
    assert.equal((await post(m)).status, 200);
  });

  test('an UnsubscribeConfirmation is acknowledged; tocsin does not re-subscribe', async () => {
    const confirms = confirmCalls().length;
    const m = unsubscribeConfirmation(pki.signingKey, { Token: 'sns-unsubscribe-token-eeee1111ffff2222' });
    secrets.push(m.Token);
    const r = await post(m);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.sns.result, 'acknowledged');
    assert.equal(confirmCalls().length, confirms);
    await waitFor('the unsubscribe warning', () => gw.output.some((l) => l.includes('"level":"warn"') && l.includes('UnsubscribeConfirmation')));
  });

  test('text/plain holds JSON on the ingest routes only; the management API stays JSON-only', async () => {
    const asText = await http('POST', `${gw.url}/ingest/app`, { token: 'app-source-token-0123456789', raw: '{"title":"sent as text/plain","dedup_key":"tp"}', headers: { 'content-type': 'text/plain' } });
    assert.equal(asText.status, 202, asText.text);
    const notJson = await http('POST', `${gw.url}/ingest/app`, { token: 'app-source-token-0123456789', raw: 'CPU high on db-1', headers: { 'content-type': 'text/plain; charset=UTF-8' } });
    assert.equal(notJson.status, 415, notJson.text);
    const alert = (await http('GET', `${gw.url}/api/v1/alerts`, { token: ADMIN_TOKEN })).body.alerts[0];
    const mgmt = await http('POST', `${gw.url}/api/v1/alerts/${alert.id}/resolve`, { token: ADMIN_TOKEN, raw: '{}', headers: { 'content-type': 'text/plain' } });
    assert.equal(mgmt.status, 415, mgmt.text);
  });

  test('no source token, SNS token or SubscribeURL reaches tocsin\'s output', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const output = gw.output.join('\n');
    assert.ok(output.includes('SNS subscription confirmed'), 'the scenario was logged');
    // The SubscribeURL's Token confirms the subscription: neither it nor the URL is logged.
    for (const secret of [...secrets, 'Action=ConfirmSubscription']) {
      const at = output.indexOf(secret);
      assert.equal(at, -1, `${secret} in the output: …${output.slice(Math.max(0, at - 200), at + 80)}…`);
    }
  });
});
