import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { OutcomeDocument } from '../outcome-document.ts';
import type { DeliveryPayload } from '../types.ts';
import { webhookConfig } from './config.ts';
import { outcomeMessageId, subscriptionWarnings } from './outcome.ts';
import { createWebhookDestination } from './webhook.ts';

const SECRET = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
let server: Server;
let base: string;
const received: { headers: Record<string, unknown>; body: string }[] = [];
before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const doc: OutcomeDocument = {
  type: 'delivery.dead',
  delivery_id: 41,
  destination: 'oncall',
  attempts: 1,
  alert_id: '01JALERT',
  source: 'app',
  dedup_key: 'orders-5xx',
  key: 'app:orders-5xx',
  episode: 2,
  alert_status: 'firing',
  title: 'Orders 5xx',
  status_code: 400,
  request_id: 'req-1',
  detail: null,
  error: 'HTTP 400: invalid body',
  hint: 'Fix the field incident.io names, then retry this delivery.',
  at: '2026-01-02T03:04:05.678Z',
};
const payload: DeliveryPayload = { alertId: '01JALERT', source: 'app', dedupKey: 'orders-5xx', externalKey: 'app:orders-5xx', episode: 2, status: 'firing', title: 'Orders 5xx', metadata: {}, at: 1, outcome: doc };
const parse = (o: Record<string, unknown>) => webhookConfig.safeParse({ type: 'webhook', url: 'https://example.com/h', secret: SECRET, ...o });

test('config: on lists outcome events; destinations filters them and needs on', () => {
  assert.equal(parse({}).success, true);
  assert.equal(parse({ on: ['delivery.delivered', 'delivery.dead'] }).success, true);
  assert.equal(parse({ on: ['delivery.dead'], destinations: ['oncall'] }).success, true);
  const problem = (o: Record<string, unknown>) => {
    const r = parse(o);
    assert.equal(r.success, false, JSON.stringify(o));
    return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  };
  assert.match(problem({ on: ['delivery.failed'] }), /^on\.0: must be one of delivery\.delivered, delivery\.dead/);
  assert.match(problem({ on: [] }), /^on: list at least one/);
  assert.match(problem({ destinations: ['oncall'] }), /^destinations: .*add on:/);
  assert.match(problem({ on: ['delivery.dead'], destinations: [] }), /^destinations: list at least one/);
});

test('an outcome event is posted as its document, signed, even where a template shapes alert documents', async () => {
  const d = createWebhookDestination('outcomes', webhookConfig.parse({ type: 'webhook', url: `${base}/o`, secret: SECRET, template: '{"text": title}', on: ['delivery.dead'] }));
  const first = await d.send(payload, undefined);
  const again = await d.send(payload, undefined);
  await d.close?.();
  assert.equal(first.kind, 'delivered');
  assert.match(first.kind === 'delivered' ? (first.detail ?? '') : '', /^delivery\.dead posted/);
  assert.deepEqual(JSON.parse(received[0]!.body), doc);
  assert.equal(received[0]!.headers['webhook-id'], outcomeMessageId(doc));
  assert.equal(received[1]!.headers['webhook-id'], received[0]!.headers['webhook-id'], 'a retry is the same message');
  assert.match(String(received[0]!.headers['webhook-signature']), /^v1,/);
});

test('outcome message ids: another for a later outcome of the same delivery (a retry that died again, then delivered)', () => {
  const id = outcomeMessageId(doc);
  assert.match(id, /^msg_[A-Za-z0-9_-]{27}$/);
  assert.notEqual(outcomeMessageId({ ...doc, attempts: 2 }), id);
  assert.notEqual(outcomeMessageId({ ...doc, type: 'delivery.delivered' }), id);
  assert.notEqual(outcomeMessageId({ ...doc, delivery_id: 42 }), id);
});

test('check-config warns of an outcome filter naming nothing, and of a subscriber that gets every alert for want of routes', () => {
  const hook = (config: Record<string, unknown>) => ({ name: 'log', type: 'webhook', config });
  const destinations = new Map<string, unknown>([
    ['oncall', { name: 'oncall', type: 'incident_io_alert_source', config: {} }],
    ['log', hook({ on: ['delivery.dead'], destinations: ['oncall', 'log', 'oncal'] })],
    ['plain', { name: 'plain', type: 'webhook', config: {} }],
  ]);
  assert.deepEqual(
    subscriptionWarnings(destinations, true).map((w) => w.path),
    ['destinations.log.destinations[1]', 'destinations.log.destinations[2]'],
  );
  assert.match(subscriptionWarnings(destinations, true)[1]!.message, /no destination "oncal"/);
  assert.deepEqual(
    subscriptionWarnings(destinations, false).map((w) => w.path),
    ['destinations.log.destinations[1]', 'destinations.log.destinations[2]', 'destinations.log.on'],
  );
});
