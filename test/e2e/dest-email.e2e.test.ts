/**
 * The `email` destination through a real `tocsin start`, against a real SMTP server in-process (test/smtp.ts, the
 * smtp-server package): STARTTLS with a private CA (ca_file) and a login (password_file); fire → an email, resolve →
 * a reply in the same thread; a 4xx reply is retried; a wrong password dead-letters with a hint; `tocsin
 * test-connection` works; the password shows nowhere.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { http, tempDir, waitFor, type TocsinProcess } from '../harness.ts';
import { makeCert, SmtpTestServer } from '../smtp.ts';
import { tocsin } from './cli-helpers.ts';
import { assertNoSecret, deliveries, ingest, startWith } from './dest-helpers.ts';

const PASSWORD = 'smtp-e2e-password-4c7d1a';
const WRONG = 'smtp-e2e-wrong-password-0b9e';

describe('email destination, end to end', () => {
  let smtp: SmtpTestServer;
  let t: TocsinProcess & { dir: string };
  const ids: string[] = [];

  before(async () => {
    const cert = makeCert();
    smtp = await SmtpTestServer.start({ cert, users: { tocsin: PASSWORD } });
    const secrets = tempDir('tocsin-email-secrets-');
    writeFileSync(join(secrets, 'ca.pem'), cert.cert);
    writeFileSync(join(secrets, 'password'), `${PASSWORD}\n`);
    const mail = { type: 'email', host: '127.0.0.1', port: smtp.port, username: 'tocsin', password_file: join(secrets, 'password'), ca_file: join(secrets, 'ca.pem'), from: 'tocsin <alerts@example.com>', to: ['oncall@example.com', 'lead@example.com'] };
    t = await startWith(
      { mail, wrong: { ...mail, password_file: undefined, password: WRONG } },
      { routes: [{ match: { team: 'wrong' }, to: ['wrong'] }, { to: ['mail'] }] },
    );
  });
  after(async () => {
    await t?.kill();
    await smtp?.close();
  });

  test('fire → an email (STARTTLS, logged in); resolve → a reply in the same thread', async () => {
    const id = await ingest(t, { title: 'Nightly ETL failed', dedup_key: 'etl', severity: 'error', description: 'step 3 of 7' });
    ids.push(id);
    await waitFor('the email', () => smtp.mails.length >= 1);
    await ingest(t, { title: 'Nightly ETL failed', dedup_key: 'etl', status: 'resolved' });
    await waitFor('the reply', () => smtp.mails.length >= 2);
    const [first, reply] = smtp.mails;
    assert.equal(first!.secure, true);
    assert.equal(first!.user, 'tocsin');
    assert.deepEqual(first!.to, ['oncall@example.com', 'lead@example.com']);
    assert.equal(first!.headers['message-id'], `<tocsin.${id}.1@example.com>`);
    assert.equal(first!.headers['subject'], '[tocsin] Nightly ETL failed');
    assert.equal(reply!.headers['in-reply-to'], first!.headers['message-id']);
    assert.equal(reply!.headers['references'], first!.headers['message-id']);
    assert.equal(reply!.headers['subject'], 'Re: [tocsin] Nightly ETL failed');
    assert.match(reply!.raw, /RESOLVED: Nightly ETL failed/);
  });

  test('a 4xx reply (try again later) is retried, then delivered', async () => {
    const before = smtp.mails.length;
    smtp.fail(1, 451, '4.3.0 Mail server temporarily unavailable');
    const id = await ingest(t, { title: 'Backup late', dedup_key: 'backup' });
    ids.push(id);
    const d = await waitFor('delivered', async () => (await deliveries(t, id)).find((r) => r.status === 'delivered'), 15_000);
    assert.equal(d.attempts, 2);
    assert.equal(smtp.mails.length, before + 1);
  });

  test('a wrong password: dead-lettered at once with a hint', async () => {
    const id = await ingest(t, { title: 'Wrong password', dedup_key: 'wrong', metadata: { team: 'wrong' } });
    ids.push(id);
    const d = await waitFor('dead letter', async () => (await deliveries(t, id)).find((r) => r.status === 'dead'));
    assert.match(d.last_error, /^SMTP 535/);
    assert.match(d.hint, /username and password/);
    assert.equal(d.attempts, 1);
  });

  test('tocsin test-connection: a test email and its resolve, threaded; a wrong password fails with the hint', async () => {
    const before = smtp.mails.length;
    const r = await tocsin(['test-connection', 'mail', '--config', t.configPath]);
    assert.equal(r.code, 0, r.err + r.out);
    const [a, b] = smtp.mails.slice(before);
    assert.equal(a!.headers['subject'], '[tocsin] [test] tocsin connection test (mail)');
    assert.equal(b!.headers['in-reply-to'], a!.headers['message-id']);
    const bad = await tocsin(['test-connection', 'wrong', '--config', t.configPath]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.out, /FAILED[\s\S]*535[\s\S]*hint: .*username and password/);
    for (const out of [r.out, r.err, bad.out, bad.err]) for (const s of [PASSWORD, WRONG]) assert.ok(!out.includes(s), 'a password in CLI output');
  });

  test('no password in logs, API answers or delivery rows', async () => {
    await assertNoSecret(t, ids, [PASSWORD, WRONG]);
  });
  test('every attempt is counted in /metrics by destination and outcome', async () => {
    const metrics = (await http('GET', `${t.url}/metrics`)).text;
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="mail",outcome="delivered"\} [1-9]/);
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="mail",outcome="retry"\} [1-9]/);
    assert.match(metrics, /tocsin_delivery_attempts_total\{destination="wrong",outcome="failed"\} [1-9]/);
  });
});
