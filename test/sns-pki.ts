/**
 * Test-only stand-ins for AWS SNS, all on 127.0.0.1: certificates made with openssl for this run (a CA, a TLS
 * certificate for sns.<region>.amazonaws.com issued by it, and an SNS signing certificate), messages signed the way
 * SNS signs them, and an HTTPS server that serves the signing certificate and answers ConfirmSubscription.
 */
import { execFileSync } from 'node:child_process';
import { sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { tempDir } from './harness.ts';

export { redirectingDispatcher } from './sns-dispatcher.ts';

export const REGION_HOSTS = ['sns.us-east-1.amazonaws.com', 'sns.eu-west-1.amazonaws.com'];

export interface SnsPki {
  dir: string;
  caPem: string;
  caPath: string;
  tlsKey: string;
  tlsCert: string;
  /** The key SNS would sign with, and its certificate (what SigningCertURL serves). */
  signingKey: string;
  signingCert: string;
  /** A second, unrelated key pair: a message signed with it must not verify against signingCert. */
  otherKey: string;
  /** An EC certificate: SNS signs with RSA only. */
  ecCert: string;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeSnsPki(): SnsPki {
  const dir = tempDir('tocsin-sns-pki-');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3', '-subj', '/CN=tocsin test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl(dir, 'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', `/CN=${REGION_HOSTS[0]}`);
  writeFileSync(join(dir, 'tls.ext'), `subjectAltName=${REGION_HOSTS.map((h) => `DNS:${h}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
  openssl(dir, 'x509', '-req', '-in', 'tls.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tls.pem', '-days', '3', '-extfile', 'tls.ext');
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'signing.key', '-out', 'signing.pem', '-days', '3', '-subj', '/CN=sns.amazonaws.com');
  openssl(dir, 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'other.key');
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ec.key', '-out', 'ec.pem', '-days', '3', '-subj', '/CN=not-sns');
  return {
    dir,
    caPem: read('ca.pem'),
    caPath: join(dir, 'ca.pem'),
    tlsKey: read('tls.key'),
    tlsCert: read('tls.pem'),
    signingKey: read('signing.key'),
    signingCert: read('signing.pem'),
    otherKey: read('other.key'),
    ecCert: read('ec.pem'),
  };
}

/**
 * The string SNS signs, written out here on its own (not imported from src/sns) so that a mistake there is caught:
 * `name\nvalue\n` for Message, MessageId, Subject (if any), Timestamp, TopicArn, Type (notifications) or Message,
 * MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type (subscription and unsubscribe confirmations).
 */
export function snsStringToSign(m: Record<string, string>): string {
  const names = m.Type === 'Notification' ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  let s = '';
  for (const n of names) if (m[n] !== undefined) s += `${n}\n${m[n]}\n`;
  return s;
}

export function signSns<M extends Record<string, string>>(m: M, keyPem: string, version: '1' | '2' = '1'): M & { SignatureVersion: string; Signature: string } {
  const withVersion = { ...m, SignatureVersion: version };
  const signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(snsStringToSign(withVersion), 'utf8'), keyPem).toString('base64');
  return { ...withVersion, Signature: signature };
}

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:tocsin-alarms';

/** A SubscriptionConfirmation as SNS sends it (AWS's documented fields), signed with `key`. */
export function subscriptionConfirmation(key: string, over: Record<string, string> = {}, version: '1' | '2' = '1') {
  const token = over.Token ?? '2336412f37fb687f5d51e6e2425dacbba6e0b5c9d2e6f5e1e7c2f7a9b7a5d3c1e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c';
  const topic = over.TopicArn ?? TOPIC;
  return signSns(
    {
      Type: 'SubscriptionConfirmation',
      MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
      Token: token,
      TopicArn: topic,
      Message: `You have chosen to subscribe to the topic ${topic}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
      SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topic)}&Token=${token}`,
      Timestamp: '2026-05-02T00:54:06.655Z',
      SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000000000000a.pem',
      ...over,
    },
    key,
    version,
  );
}

/** An UnsubscribeConfirmation as SNS sends it after the subscription was deleted. */
export function unsubscribeConfirmation(key: string, over: Record<string, string> = {}) {
  const s = subscriptionConfirmation(key, { Type: 'UnsubscribeConfirmation', Message: `You have chosen to deactivate subscription ${TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.`, ...over });
  const { Signature: _s, SignatureVersion: _v, ...fields } = s;
  return signSns(fields, key);
}

export interface FakeSns {
  port: number;
  /** Paths requested, in order (the test's own tokens: nothing real). */
  requests: string[];
  /** The next `count` requests answer `status` (503: an outage; 403 with an AWS error body: a refusal). */
  fail(status: number, count?: number): void;
  /** The next `count` requests get their connection closed without an answer. */
  drop(count?: number): void;
  close(): Promise<void>;
}

/** An HTTPS server with a certificate for sns.<region>.amazonaws.com, doing what SNS does for tocsin's two calls. */
export async function startFakeSns(pki: SnsPki): Promise<FakeSns> {
  const requests: string[] = [];
  let failing: { status: number; count: number } | undefined;
  let dropping = 0;
  const server: Server = createServer({ key: pki.tlsKey, cert: pki.tlsCert }, (req, res) => {
    const url = new URL(req.url ?? '/', `https://${req.headers.host}`);
    requests.push(`${req.headers.host}${req.url}`);
    if (dropping > 0) {
      dropping--;
      return req.socket.destroy();
    }
    if (failing && failing.count > 0) {
      failing.count--;
      res.writeHead(failing.status, { 'content-type': 'text/xml' });
      return res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>${failing.status === 403 ? 'AuthorizationError' : 'ServiceUnavailable'}</Code><Message>x</Message></Error></ErrorResponse>`);
    }
    if (url.pathname.endsWith('.pem')) {
      res.writeHead(200, { 'content-type': 'application/x-x509-ca-cert' });
      return res.end(pki.signingCert);
    }
    if (url.searchParams.get('Action') === 'ConfirmSubscription') {
      res.writeHead(200, { 'content-type': 'text/xml' });
      return res.end(
        `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult><SubscriptionArn>${url.searchParams.get('TopicArn')}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55</SubscriptionArn></ConfirmSubscriptionResult><ResponseMetadata><RequestId>075ecce8-8dac-11e1-bf80-f781d96e9307</RequestId></ResponseMetadata></ConfirmSubscriptionResponse>`,
      );
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    requests,
    fail: (status, count = 1) => void (failing = { status, count }),
    drop: (count = 1) => void (dropping = count),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
