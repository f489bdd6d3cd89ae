import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import { makeSnsPki, redirectingDispatcher, startFakeSns } from '../../test/sns-pki.ts';
import { SnsHttp } from './fetch.ts';
import { trustedSnsUrl, type SnsUrl } from './message.ts';

const pki = makeSnsPki();
const sns = await startFakeSns(pki);
const dispatcher = redirectingDispatcher(sns.port, pki.caPem);
after(async () => {
  await dispatcher.close();
  await sns.close();
});

const url = (u: string): SnsUrl => {
  const r = trustedSnsUrl(u, u.endsWith('.pem') ? 'certificate' : 'subscribe');
  assert.ok(r.ok, u);
  return r.url;
};
const CERT = url('https://sns.us-east-1.amazonaws.com/SimpleNotificationService-fetch.pem');

test('a certificate is fetched once per URL, concurrent callers included', async () => {
  const http = new SnsHttp({ dispatcher });
  const before = sns.requests.length;
  const [a, b] = await Promise.all([http.certificate(CERT), http.certificate(CERT)]);
  const c = await http.certificate(CERT);
  assert.ok(a.ok && b.ok && c.ok);
  assert.equal(a.value, pki.signingCert);
  assert.deepEqual(sns.requests.slice(before), ['sns.us-east-1.amazonaws.com/SimpleNotificationService-fetch.pem']);
  assert.ok((await http.certificate(url('https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-fetch.pem'))).ok);
  assert.equal(sns.requests.length, before + 2, 'another URL is another fetch');
});

test('a failed fetch is not cached: an outage is unavailable, then the certificate comes', async () => {
  const http = new SnsHttp({ dispatcher });
  sns.fail(503);
  const down = await http.certificate(CERT);
  assert.deepEqual(down, { ok: false, kind: 'unavailable', status: 503, message: 'AWS SNS answered 503 (ServiceUnavailable)' });
  sns.drop();
  const dropped = await http.certificate(CERT);
  assert.ok(!dropped.ok && dropped.kind === 'unavailable');
  assert.match(!dropped.ok ? dropped.message : '', /^could not reach sns\.us-east-1\.amazonaws\.com: /);
  assert.ok((await http.certificate(CERT)).ok);
});

test('AWS refusing, or answering with no certificate, is refused (retrying will not help)', async () => {
  const http = new SnsHttp({ dispatcher });
  sns.fail(403);
  assert.deepEqual(await http.certificate(CERT), { ok: false, kind: 'refused', status: 403, message: 'AWS SNS answered 403 (AuthorizationError)' });
  sns.fail(200); // a 200 whose body is an XML document, not a certificate
  const notPem = await http.certificate(CERT);
  assert.ok(!notPem.ok && notPem.kind === 'refused' && /PEM/.test(notPem.message));
});

test('confirming GETs the SubscribeURL and reads the subscription ARN', async () => {
  const http = new SnsHttp({ dispatcher });
  const r = await http.confirm(url('https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:1:t&Token=abc'));
  assert.deepEqual(r, { ok: true, value: { subscriptionArn: 'arn:aws:sns:us-east-1:1:t:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55' } });
  assert.equal(sns.requests.at(-1), 'sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:1:t&Token=abc');
});

test('a server that never answers is unavailable after the timeout; an oversized answer is refused', async () => {
  const silent = createServer({ key: pki.tlsKey, cert: pki.tlsCert }, () => {});
  const huge = createServer({ key: pki.tlsKey, cert: pki.tlsCert }, (_req, res) => res.end('x'.repeat(200_000)));
  await Promise.all([silent, huge].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const port = (s: typeof silent) => (s.address() as { port: number }).port;
  const toSilent = redirectingDispatcher(port(silent), pki.caPem);
  const toHuge = redirectingDispatcher(port(huge), pki.caPem);
  try {
    const started = Date.now();
    const r = await new SnsHttp({ dispatcher: toSilent, timeoutMs: 300 }).certificate(CERT);
    assert.ok(!r.ok && r.kind === 'unavailable', JSON.stringify(r));
    assert.ok(Date.now() - started < 3000);
    const big = await new SnsHttp({ dispatcher: toHuge }).certificate(CERT);
    assert.ok(!big.ok && big.kind === 'refused' && /more than/.test(big.message), JSON.stringify(big));
  } finally {
    await Promise.all([toSilent.close(), toHuge.close()]);
    for (const s of [silent, huge]) s.closeAllConnections(), s.close();
  }
});

test('TLS is verified: a server whose certificate the process does not trust is unreachable', async () => {
  const untrusting = redirectingDispatcher(sns.port);
  try {
    const r = await new SnsHttp({ dispatcher: untrusting }).certificate(CERT);
    assert.ok(!r.ok && r.kind === 'unavailable', JSON.stringify(r));
  } finally {
    await untrusting.close();
  }
});
