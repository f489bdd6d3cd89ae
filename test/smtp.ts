/**
 * A real SMTP server in-process for the email tests: the `smtp-server` package (by nodemailer's authors) speaking the
 * real protocol — EHLO, STARTTLS or implicit TLS with a certificate made by openssl for this run, AUTH PLAIN/LOGIN,
 * MAIL FROM/RCPT TO/DATA. It records what was delivered, and can be told to answer the next messages with an SMTP
 * error (a 4xx to retry, a 5xx to refuse). Listens on 127.0.0.1 only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { tempDir } from './harness.ts';

export interface Cert {
  key: string;
  cert: string;
}

/** A self-signed certificate for 127.0.0.1 and localhost: trusted by giving it as `ca`. */
export function makeCert(): Cert {
  const dir = tempDir('tocsin-smtp-cert-');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}

export interface Mail {
  at: number;
  from: string;
  to: string[];
  raw: string;
  /** Header names lower-cased; folded lines unfolded. */
  headers: Record<string, string>;
  /** The session's TLS state and login. */
  secure: boolean;
  user: string | undefined;
}

export interface SmtpOptions {
  cert: Cert;
  /** Implicit TLS from the first byte (port 465 style); otherwise plain with STARTTLS offered. */
  implicit?: boolean;
  /** Do not offer STARTTLS. */
  noStartTls?: boolean;
  users?: Record<string, string>;
  /** Recipients refused with 550. */
  refuse?: string[];
}

type Scripted = { code: number; message: string };

function parseHeaders(raw: string): Record<string, string> {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const out: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

export class SmtpTestServer {
  readonly mails: Mail[] = [];
  private readonly scripted: Scripted[] = [];
  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(o: SmtpOptions): Promise<SmtpTestServer> {
    let self: SmtpTestServer | undefined;
    const users = o.users;
    const server = new SMTPServer({
      secure: o.implicit ?? false,
      key: o.cert.key,
      cert: o.cert.cert,
      authOptional: !users,
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: false,
      // A server without STARTTLS neither offers nor accepts it (hiding it alone still lets a client that insists upgrade).
      disabledCommands: [...(users ? [] : ['AUTH']), ...(o.noStartTls ? ['STARTTLS'] : [])],
      logger: false,
      onAuth(auth, _session, cb) {
        if (users && users[auth.username ?? ''] === auth.password) return cb(null, { user: auth.username });
        const err = Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 });
        cb(err);
      },
      onRcptTo(address, _session, cb) {
        if (o.refuse?.includes(address.address)) return cb(Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected`), { responseCode: 550 }));
        cb();
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const s = self!.scripted.shift();
          if (s) return cb(Object.assign(new Error(s.message), { responseCode: s.code }));
          const raw = Buffer.concat(chunks).toString('utf8');
          self!.mails.push({
            at: Date.now(),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            headers: parseHeaders(raw),
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address() as AddressInfo).port;
    self = new SmtpTestServer(server, port);
    return self;
  }

  /** The next `count` messages are answered with this SMTP reply instead of 250 (after DATA). */
  fail(count: number, code: number, message: string): void {
    for (let i = 0; i < count; i++) this.scripted.push({ code, message });
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
