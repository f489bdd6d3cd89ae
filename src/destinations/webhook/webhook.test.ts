import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { DeliveryPayload } from '../types.ts';
import { webhookConfig } from './config.ts';
import { messageId, parseSecret, sign } from './signature.ts';
import { createWebhookDestination, webhookDestination } from './webhook.ts';

/** The Standard Webhooks spec's own example secret and signature: proves the scheme, not just self-consistency. */
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const SECRET = 'whsec_' + Buffer.alloc(32, 7).toString('base64');

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  path: string;
}
let server: Server;
let base: string;
let received: Received[] = [];
let answers: { status: number; headers?: Record<string, string>; body?: string }[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body, path: req.url ?? '' });
      const a = answers.shift() ?? { status: 204 };
      res.writeHead(a.status, a.headers).end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  received = [];
  answers = [];
});

const payload = (over: Partial<DeliveryPayload> = {}): DeliveryPayload => ({
  alertId: '01JALERT',
  source: 'app',
  dedupKey: 'orders-5xx',
  externalKey: 'app:orders-5xx',
  episode: 1,
  status: 'firing',
  title: 'Orders 5xx',
  severity: 'critical',
  metadata: { service: 'orders', team: ['payments'] },
  at: Date.parse('2026-01-02T03:04:05.678Z'),
  ...over,
});

const config = (over: Record<string, unknown> = {}) => webhookConfig.parse({ type: 'webhook', url: `${base}/hook?token=receiver-credential-123`, secret: SECRET, ...over });

/** A receiver's check, written from the spec: key = base64 after whsec_, HMAC-SHA256 over "id.timestamp.body". */
function verifies(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`).digest();
  return String(r.headers['webhook-signature'])
    .split(' ')
    .some((s) => {
      const [v, sig] = s.split(',');
      const got = Buffer.from(sig ?? '', 'base64');
      return v === 'v1' && got.length === expected.length && timingSafeEqual(got, expected);
    });
}

describe('signature', () => {
  test("matches the Standard Webhooks spec's example", () => {
    assert.equal(sign(parseSecret(SPEC.secret)!, SPEC.id, SPEC.timestamp, SPEC.body), SPEC.signature);
  });
  test('secrets: whsec_ and base64 of 24–64 bytes only', () => {
    assert.ok(parseSecret(SECRET));
    for (const bad of ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_', 'whsec_not base64!', `whsec_${Buffer.alloc(8).toString('base64')}`, `whsec_${Buffer.alloc(65).toString('base64')}`]) {
      assert.equal(parseSecret(bad), undefined, bad);
    }
  });
  test('message id: the same for one alert state, different for another', () => {
    assert.equal(messageId(payload()), messageId(payload({ title: 'retitled later' })));
    assert.notEqual(messageId(payload()), messageId(payload({ status: 'resolved' })));
    assert.notEqual(messageId(payload()), messageId(payload({ at: payload().at + 1 })));
    assert.notEqual(messageId(payload()), messageId(payload({ episode: 2 })));
    assert.match(messageId(payload()), /^msg_[A-Za-z0-9_-]{27}$/);
  });
});

describe('webhook destination', () => {
  test('posts the alert document, signed; a receiver following the spec verifies it', async () => {
    const d = createWebhookDestination('hook', config());
    const out = await d.send(payload(), undefined);
    await d.close?.();
    assert.equal(out.kind, 'delivered');
    const r = received[0]!;
    assert.equal(r.headers['content-type'], 'application/json');
    assert.ok(verifies(SECRET, r));
    assert.ok(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000) < 5);
    assert.deepEqual(JSON.parse(r.body), {
      type: 'alert.firing',
      id: '01JALERT',
      source: 'app',
      dedup_key: 'orders-5xx',
      key: 'app:orders-5xx',
      status: 'firing',
      title: 'Orders 5xx',
      description: null,
      severity: 'critical',
      labels: { service: ['orders'], team: ['payments'], source: ['app'], severity: ['critical'] },
      metadata: { service: 'orders', team: ['payments'] },
      source_url: null,
      episode: 1,
      at: '2026-01-02T03:04:05.678Z',
      test: false,
      acknowledged: null,
      ack_url: null,
    });
    assert.equal(r.path, '/hook?token=receiver-credential-123');
  });

  test('a retry of the same state carries the same webhook-id; a wrong secret does not verify', async () => {
    const d = createWebhookDestination('hook', config());
    answers = [{ status: 503 }];
    assert.equal((await d.send(payload(), undefined)).kind, 'retry');
    assert.equal((await d.send(payload(), undefined)).kind, 'delivered');
    await d.close?.();
    assert.equal(received[0]!.headers['webhook-id'], received[1]!.headers['webhook-id']);
    assert.equal(verifies('whsec_' + Buffer.alloc(32, 8).toString('base64'), received[1]!), false);
  });

  test('a JSONata template shapes the body', async () => {
    const d = createWebhookDestination('hook', config({ template: '{"text": title & " is " & status, "team": labels.team[0], "sev": $uppercase(severity)}' }));
    assert.equal((await d.send(payload({ status: 'resolved' }), undefined)).kind, 'delivered');
    await d.close?.();
    assert.deepEqual(JSON.parse(received[0]!.body), { text: 'Orders 5xx is resolved', team: 'payments', sev: 'CRITICAL' });
    assert.ok(verifies(SECRET, received[0]!));
  });

  test('a template that fails or yields nothing is final, with a hint, and sends nothing', async () => {
    const runaway = [
      '( $f := function($x) { $f($x + 1) }; $f(0) )',
      '$reduce([1..9999999], function($a, $b) { $a + $b % 7 })',
      '$reduce([1..99999], function($a, $b) { $reduce([1..99999], function($c, $d) { $c + $d }) })',
    ];
    for (const template of ['$number("not a number") + $error("boom")', 'nothing.here', ...runaway]) {
      const d = createWebhookDestination('hook', config({ template }));
      const out = await d.send(payload(), undefined);
      await d.close?.();
      assert.equal(out.kind, 'failed', template);
      assert.match(out.kind === 'failed' ? out.hint : '', /template|expression/);
      // Bounded: too deep (D1011), too long (D1012) or too large (D2015) — never a stalled event loop.
      if (runaway.includes(template)) assert.match(out.kind === 'failed' ? out.error : '', /D1011|D1012|D2015/);
    }
    assert.equal(received.length, 0);
  });

  test('answers: 2xx delivered; 408/429/5xx retry with Retry-After; 3xx and other 4xx final with a hint; no URL in any error', async () => {
    const d = createWebhookDestination('hook', config());
    const cases: [number, Record<string, string> | undefined, string][] = [
      [200, undefined, 'delivered'],
      [202, undefined, 'delivered'],
      [429, { 'retry-after': '7' }, 'retry'],
      [408, undefined, 'retry'],
      [500, undefined, 'retry'],
      [503, { 'retry-after': '2' }, 'retry'],
      [301, { location: 'http://elsewhere.invalid/' }, 'failed'],
      [400, undefined, 'failed'],
      [401, undefined, 'failed'],
      [404, undefined, 'failed'],
      [410, undefined, 'failed'],
      [422, undefined, 'failed'],
    ];
    for (const [status, headers, kind] of cases) {
      answers = [{ status, ...(headers ? { headers } : {}), body: status >= 400 ? 'nope' : '' }];
      const out = await d.send(payload(), undefined);
      assert.equal(out.kind, kind, `HTTP ${status}`);
      assert.equal(out.statusCode, status);
      if (status === 429) assert.equal(out.kind === 'retry' ? out.retryAfterMs : 0, 7000);
      if (out.kind === 'failed') assert.ok(out.hint.length > 20);
      if (out.kind !== 'delivered') assert.doesNotMatch(`${out.error} ${out.kind === 'failed' ? out.hint : ''}`, /receiver-credential|127\.0\.0\.1|whsec_/);
    }
    await d.close?.();
  });

  test("credentials in the URL are sent as Basic authorization (undici would drop them)", async () => {
    const d = createWebhookDestination('hook', config({ url: `${base.replace('http://', 'http://alice:s%3Acret@')}/basic` }));
    assert.equal((await d.send(payload(), undefined)).kind, 'delivered');
    await d.close?.();
    assert.equal(received[0]!.headers.authorization, `Basic ${Buffer.from('alice:s:cret').toString('base64')}`);
    assert.equal(received[0]!.path, '/basic');
  });

  test('unreachable: retried, and the error names neither URL nor credential', async () => {
    const d = createWebhookDestination('hook', webhookConfig.parse({ type: 'webhook', url: 'http://127.0.0.1:1/hook/receiver-credential-123', secret: SECRET, timeout_ms: 2000 }));
    const out = await d.send(payload(), undefined);
    await d.close?.();
    assert.equal(out.kind, 'retry');
    assert.doesNotMatch(out.kind === 'retry' ? out.error : '', /receiver-credential|127\.0\.0\.1/);
  });

  test('config: refuses a bad secret, a non-http URL and a template that does not parse; target shows no secret', () => {
    const bad = (o: Record<string, unknown>) => webhookConfig.safeParse({ type: 'webhook', url: 'https://example.com/h', secret: SECRET, ...o });
    assert.equal(bad({}).success, true);
    assert.equal(bad({ secret: 'plain-password-1234567890' }).success, false);
    assert.equal(bad({ url: 'ftp://example.com/h' }).success, false);
    const t = bad({ template: '{ "a": ' });
    assert.equal(t.success, false);
    assert.match(t.success ? '' : t.error.issues[0]!.message, /not a valid JSONata expression/);
    const target = webhookDestination.target(config());
    assert.doesNotMatch(target, /receiver-credential|hook\?/);
    assert.match(target, /^webhook 127\.0\.0\.1:\d+ \(url sha256 [0-9a-f]{12}\)$/);
  });
});
