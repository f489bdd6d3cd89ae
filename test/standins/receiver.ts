/**
 * A webhook receiver for tests (not a stand-in for any vendor: the `webhook` destination posts to whatever URL it is
 * given). It records every request and answers from a script, then 204. It verifies the Standard Webhooks signature
 * itself, from the spec, as a real receiver would.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The signature checked with the receiver's secret. */
  verified: boolean;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export class Receiver {
  readonly received: Received[] = [];
  /** Answers for the next requests, in order; afterwards 204. */
  readonly script: Answer[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(secret: string): Promise<Receiver> {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    let self: Receiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const expected = createHmac('sha256', key).update(`${req.headers['webhook-id']}.${req.headers['webhook-timestamp']}.${body}`).digest();
        const verified = String(req.headers['webhook-signature'] ?? '')
          .split(' ')
          .some((s) => {
            const got = Buffer.from(s.split(',')[1] ?? '', 'base64');
            return s.startsWith('v1,') && got.length === expected.length && timingSafeEqual(got, expected);
          });
        self!.received.push({ at: Date.now(), path: req.url ?? '', headers: req.headers, body, verified });
        const a = self!.script.shift() ?? (verified ? { status: 204 } : { status: 401, body: 'invalid signature' });
        res.writeHead(a.status, a.headers).end(a.body ?? '');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    self = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  bodies(): any[] {
    return this.received.map((r) => JSON.parse(r.body));
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
