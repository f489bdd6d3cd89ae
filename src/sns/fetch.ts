import { request, type Dispatcher } from 'undici';
import { xmlValue, type SnsUrl } from './message.ts';

/**
 * The two calls tocsin makes to AWS SNS (the I/O at the edge; deciding what a message means is pure code in
 * message.ts and verify.ts): fetch a signing certificate, cached by URL, and GET a SubscribeURL. Both take only
 * URLs that `trustedSnsUrl` accepted, so nothing here can be pointed anywhere but `sns.<region>.amazonaws.com`.
 *
 * Outcomes say what the sender should do: `unavailable` (network error, timeout, 429, 5xx: SNS should retry, the
 * caller answers 503) or `refused` (AWS answered 4xx, or not with a certificate: retrying will not help).
 *
 * The dispatcher is undici's global one unless given. That is the seam tests use without any switch in tocsin's
 * config: unit tests pass an Agent whose connector dials a local HTTPS server, and the end-to-end test starts
 * tocsin with `--import test/sns-redirect.ts`, which installs such an Agent as the process's global dispatcher.
 * TLS is verified as in production in both (the local server's certificate is issued for sns.<region>.amazonaws.com
 * by a test CA the process trusts), so a config file or environment variable alone can never make tocsin accept a
 * certificate from anywhere but AWS.
 */

export type SnsFetchFailure = { ok: false; kind: 'unavailable' | 'refused'; status?: number; message: string };
export type SnsFetchOutcome<T> = { ok: true; value: T } | SnsFetchFailure;

export interface SnsHttpOptions {
  dispatcher?: Dispatcher;
  timeoutMs?: number;
  /** Distinct certificate URLs kept (SNS signs with a handful per region, rotated by URL). */
  cacheSize?: number;
}

// A PEM certificate is ~2 KB; anything far larger is not one.
const MAX_BODY = 64 * 1024;

type Got = { ok: true; status: number; text: string } | SnsFetchFailure;

export class SnsHttp {
  private readonly certificates = new Map<string, Promise<SnsFetchOutcome<string>>>();
  private readonly timeoutMs: number;
  private readonly cacheSize: number;

  constructor(private readonly options: SnsHttpOptions = {}) {
    // A confirmation makes two calls while SNS waits for our answer: keep each short (SNS retries a 503 anyway).
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.cacheSize = options.cacheSize ?? 32;
  }

  /** The signing certificate's PEM. A success is kept (one fetch per URL, concurrent callers share it); a failure is not. */
  certificate(url: SnsUrl): Promise<SnsFetchOutcome<string>> {
    const key = url.href;
    const cached = this.certificates.get(key);
    if (cached) return cached;
    const pending = this.fetchCertificate(url);
    this.certificates.set(key, pending);
    void pending.then((r) => {
      if (!r.ok) this.certificates.delete(key);
      else if (this.certificates.size > this.cacheSize) this.certificates.delete(this.certificates.keys().next().value!);
    });
    return pending;
  }

  /** GETs the SubscribeURL: AWS answers 200 with the new subscription's ARN. */
  async confirm(url: SnsUrl): Promise<SnsFetchOutcome<{ subscriptionArn?: string }>> {
    const r = await this.get(url);
    if (!r.ok) return r;
    const answered = this.classify(r.status, r.text);
    if (answered) return answered;
    return { ok: true, value: { subscriptionArn: xmlValue(r.text, 'SubscriptionArn') } };
  }

  private async fetchCertificate(url: SnsUrl): Promise<SnsFetchOutcome<string>> {
    const r = await this.get(url);
    if (!r.ok) return r;
    const answered = this.classify(r.status, r.text);
    if (answered) return answered;
    if (!r.text.includes('-----BEGIN CERTIFICATE-----')) return { ok: false, kind: 'refused', status: r.status, message: 'the certificate URL did not answer with a PEM certificate' };
    return { ok: true, value: r.text };
  }

  /** A non-2xx answer as an outcome; undefined for a 2xx. AWS's error code (never the URL: it holds a token) says why. */
  private classify(status: number, text: string): SnsFetchFailure | undefined {
    if (status >= 200 && status < 300) return undefined;
    const code = xmlValue(text, 'Code');
    const message = `AWS SNS answered ${status}${code ? ` (${code})` : ''}`;
    return { ok: false, kind: status === 429 || status >= 500 ? 'unavailable' : 'refused', status, message };
  }

  private async get(url: SnsUrl): Promise<Got> {
    try {
      const res = await request(url, {
        method: 'GET',
        headers: { 'user-agent': 'tocsin' },
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY) {
          res.body.destroy();
          return { ok: false, kind: 'refused', message: `AWS SNS answered with more than ${MAX_BODY} bytes` };
        }
        chunks.push(chunk);
      }
      return { ok: true, status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') };
    } catch (e) {
      // Connection errors name the host and the cause, never the path or query (where the subscribe token is).
      const err = e as NodeJS.ErrnoException;
      return { ok: false, kind: 'unavailable', message: `could not reach ${url.hostname}: ${err.code ?? err.name}` };
    }
  }
}
