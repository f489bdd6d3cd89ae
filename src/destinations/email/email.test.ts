import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeCert, SmtpTestServer, type Cert } from '../../../test/smtp.ts';
import type { DeliveryPayload, SendOutcome } from '../types.ts';
import { emailConfig } from './config.ts';
import { createEmailDestination, emailDestination } from './email.ts';

const PASSWORD = 'smtp-password-93c1f0e2';
let cert: Cert;
let starttls: SmtpTestServer;
let implicit: SmtpTestServer;
let plainOnly: SmtpTestServer;

before(async () => {
  cert = makeCert();
  starttls = await SmtpTestServer.start({ cert, users: { tocsin: PASSWORD }, refuse: ['nobody@example.com'] });
  implicit = await SmtpTestServer.start({ cert, implicit: true, users: { tocsin: PASSWORD } });
  plainOnly = await SmtpTestServer.start({ cert, noStartTls: true });
});
after(async () => {
  await Promise.all([starttls, implicit, plainOnly].map((s) => s?.close()));
});

const p = (over: Partial<DeliveryPayload> = {}): DeliveryPayload => ({
  alertId: '01JMAIL',
  source: 'app',
  dedupKey: 'disk',
  externalKey: 'app:disk',
  episode: 3,
  status: 'firing',
  title: 'Disk full',
  description: 'Volume /data at 99%',
  severity: 'critical',
  metadata: { host: 'db-1' },
  at: Date.parse('2026-01-01T00:00:00Z'),
  ...over,
});

const dest = (server: SmtpTestServer, over: Record<string, unknown> = {}) =>
  createEmailDestination(
    'mail',
    emailConfig.parse({ type: 'email', host: '127.0.0.1', port: server.port, username: 'tocsin', password: PASSWORD, ca: cert.cert, from: 'tocsin <alerts@example.com>', to: ['oncall@example.com'], timeout_ms: 3000, ...over }),
  );

const noPassword = (o: SendOutcome) => assert.ok(!JSON.stringify(o).includes(PASSWORD), JSON.stringify(o));

describe('email destination', () => {
  test('STARTTLS with login: the first email of an episode carries its Message-ID; the resolve replies in the same thread', async () => {
    const d = dest(starttls);
    const before = starttls.mails.length;
    const fired = await d.send(p(), undefined);
    assert.equal(fired.kind, 'delivered', JSON.stringify(fired));
    const state = fired.kind === 'delivered' ? fired.state : undefined;
    const resolved = await d.send(p({ status: 'resolved', title: 'Disk full (retitled)', at: p().at + 60_000 }), state);
    assert.equal(resolved.kind, 'delivered');
    await d.close?.();
    const [first, second] = starttls.mails.slice(before);
    assert.equal(first!.secure, true, 'upgraded with STARTTLS');
    assert.equal(first!.user, 'tocsin');
    assert.deepEqual(first!.to, ['oncall@example.com']);
    assert.equal(first!.headers['message-id'], '<tocsin.01JMAIL.3@example.com>');
    assert.equal(first!.headers['subject'], '[tocsin] Disk full');
    assert.equal(first!.headers['in-reply-to'], undefined);
    assert.match(first!.headers['content-type']!, /multipart\/alternative/);
    assert.match(first!.raw, /text\/plain[\s\S]*CRITICAL: Disk full[\s\S]*text\/html/);
    assert.equal(second!.headers['in-reply-to'], '<tocsin.01JMAIL.3@example.com>');
    assert.equal(second!.headers['references'], '<tocsin.01JMAIL.3@example.com>');
    assert.equal(second!.headers['subject'], 'Re: [tocsin] Disk full', 'the first subject, so clients thread it');
    assert.notEqual(second!.headers['message-id'], first!.headers['message-id']);
    assert.equal(second!.headers['x-tocsin-status'], 'resolved');
    assert.match(second!.raw, /RESOLVED: Disk full \(retitled\)/);
  });

  test('a resolve with no first email on record still threads, under a Message-ID of its own', async () => {
    const d = dest(starttls);
    const before = starttls.mails.length;
    assert.equal((await d.send(p({ status: 'resolved' }), undefined)).kind, 'delivered');
    await d.close?.();
    const m = starttls.mails[before]!;
    assert.equal(m.headers['in-reply-to'], '<tocsin.01JMAIL.3@example.com>');
    assert.notEqual(m.headers['message-id'], '<tocsin.01JMAIL.3@example.com>');
  });

  test('implicit TLS (port 465 style)', async () => {
    const d = dest(implicit, { tls: 'implicit' });
    const out = await d.send(p(), undefined);
    await d.close?.();
    assert.equal(out.kind, 'delivered', JSON.stringify(out));
    assert.equal(implicit.mails.at(-1)!.secure, true);
  });

  test("a title cannot add headers", async () => {
    const d = dest(starttls);
    assert.equal((await d.send(p({ title: 'x\r\nBcc: victim@example.com' }), undefined)).kind, 'delivered');
    await d.close?.();
    const m = starttls.mails.at(-1)!;
    assert.equal(m.headers['bcc'], undefined);
    assert.deepEqual(m.to, ['oncall@example.com']);
  });

  test('final, with hints: a refused login, an untrusted certificate, no STARTTLS, a refused recipient — no password in any', async () => {
    const cases: [ReturnType<typeof dest>, RegExp, RegExp][] = [
      [dest(starttls, { password: 'wrong-password-123' }), /^SMTP 535/, /username and password/],
      [dest(starttls, { ca: undefined }), /certificate|self.signed/i, /ca \(or ca_file\)/],
      [dest(plainOnly, { username: undefined, password: undefined }), /STARTTLS/, /tls: implicit/],
      [dest(starttls, { to: ['nobody@example.com'] }), /^SMTP 550/, /check from and to/],
    ];
    for (const [d, error, hint] of cases) {
      const out = await d.send(p(), undefined);
      await d.close?.();
      assert.equal(out.kind, 'failed', JSON.stringify(out));
      assert.match(out.kind === 'failed' ? out.error : '', error);
      assert.match(out.kind === 'failed' ? out.hint : '', hint);
      noPassword(out);
    }
  });

  test('retried: a 4xx reply (greylisting) and an unreachable server', async () => {
    starttls.fail(1, 451, '4.7.1 Greylisted, try again later');
    const d = dest(starttls);
    const grey = await d.send(p(), undefined);
    assert.equal(grey.kind, 'retry');
    assert.match(grey.kind === 'retry' ? grey.error : '', /^SMTP 451/);
    assert.equal((await d.send(p(), undefined)).kind, 'delivered');
    await d.close?.();
    const gone = createEmailDestination('m', emailConfig.parse({ type: 'email', host: '127.0.0.1', port: 1, from: 'a@example.com', to: 'b@example.com', timeout_ms: 2000 }));
    const out = await gone.send(p(), undefined);
    assert.equal(out.kind, 'retry');
    await gone.close?.();
  });

  test('config: addresses checked, username and password together, default ports; target without secrets', () => {
    const parse = (o: Record<string, unknown>) => emailConfig.safeParse({ type: 'email', host: 'smtp.example.com', from: 'a@example.com', to: 'b@example.com', ...o });
    assert.equal(parse({}).success, true);
    assert.equal(parse({ to: 'not an address' }).success, false);
    assert.equal(parse({ username: 'u' }).success, false);
    const c = emailConfig.parse({ type: 'email', host: 'smtp.example.com', from: 'a@example.com', to: 'b@example.com', tls: 'implicit', username: 'u', password: PASSWORD });
    assert.equal(c.port, 465);
    assert.equal(emailConfig.parse({ type: 'email', host: 'h', from: 'a@example.com', to: 'b@example.com' }).port, 587);
    assert.ok(!emailDestination.target(c).includes(PASSWORD));
  });
});
