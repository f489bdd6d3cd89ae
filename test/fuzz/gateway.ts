/**
 * What the end-to-end fuzz test needs around a running gateway: raw HTTP requests (any bytes, any headers, chunked
 * or not) and a fingerprint of what the database holds, to prove a refused request wrote nothing.
 */
import Database from 'better-sqlite3';
import { connect } from 'node:net';
import { request } from 'undici';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  ms: number;
}

export interface RawRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Sent without Content-Length (Transfer-Encoding: chunked), in pieces of this many bytes. */
  chunked?: number;
}

/** One request, whatever its body; a hang shows as a timeout error, not a stuck test. */
export async function raw(url: string, r: RawRequest = {}, timeoutMs = 15_000): Promise<RawResponse> {
  if (r.chunked && r.body !== undefined) return chunked(url, r, timeoutMs);
  const started = performance.now();
  const res = await request(url, { method: r.method ?? 'POST', headers: r.headers ?? {}, body: r.body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, ms: performance.now() - started };
}

/**
 * A chunked upload over a plain socket: a server may answer (413) and close before the body is all sent, and an
 * HTTP client then reports the broken write, not the answer. Here every byte the server sent is read and parsed,
 * whatever happened to the writes.
 */
function chunked(url: string, r: RawRequest, timeoutMs: number): Promise<RawResponse> {
  const started = performance.now();
  const u = new URL(url);
  const bytes = Buffer.from(r.body!);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    const received: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (c: Buffer) => received.push(c));
    let writeError = '';
    socket.on('error', (e: NodeJS.ErrnoException) => (writeError = e.code ?? e.message)); // after the answer: what was read decides
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(received).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
      if (!m) return reject(new Error(`no HTTP answer to a chunked upload (${text.length} bytes read${writeError ? `, socket error ${writeError}` : ''})`));
      const headers: Record<string, string> = {};
      for (const line of m[2]!.split('\r\n')) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let body = m[3]!;
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = body.replace(/(?:^|\r\n)[0-9a-f]+\r\n/gi, '').replace(/\r\n$/, '');
      resolve({ status: Number(m[1]), headers, text: Buffer.from(body, 'latin1').toString('utf8'), ms: performance.now() - started });
    });
    socket.on('connect', async () => {
      const head = [`${r.method ?? 'POST'} ${u.pathname}${u.search} HTTP/1.1`, `host: ${u.host}`, 'transfer-encoding: chunked', 'connection: close', ...Object.entries(r.headers ?? {}).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
      // Stops sending once the server has answered, as a sender reading its socket would: writing on into a closed
      // connection makes the kernel reset it, and a reset can discard the answer before it is read.
      for (let i = 0; i < bytes.length && socket.writable && !received.length; i += r.chunked!) {
        const piece = bytes.subarray(i, i + r.chunked!);
        if (!socket.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]))) await new Promise((d) => socket.once('drain', d));
        await new Promise((d) => setImmediate(d));
        // Past the first 16 KiB, give the server a moment to answer before sending on (a 413 is due by then).
        if (i < 16_384 && i + r.chunked! >= 16_384) await new Promise((d) => { const t = setTimeout(d, 1000); socket.once('data', () => (clearTimeout(t), d(undefined))); });
      }
      if (socket.writable && !received.length) socket.write('0\r\n\r\n');
    });
  });
}

/**
 * A sender that stalls: headers announcing `length` bytes, then only `sent` of them, then nothing. Resolves with the
 * server's answer (or none) and how long the server kept the connection open; gives up after `waitMs`.
 */
export function stalled(url: string, headers: Record<string, string>, length: number, sent: number, waitMs: number): Promise<{ status?: number; closedAfterMs?: number }> {
  const u = new URL(url);
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect(Number(u.port), u.hostname);
    const received: Buffer[] = [];
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(received).toString('latin1'));
      resolve({ ...(m ? { status: Number(m[1]) } : {}), ...(closed ? { closedAfterMs: performance.now() - started } : {}) });
    };
    const timer = setTimeout(() => {
      socket.removeAllListeners('close');
      socket.destroy();
      finish(false);
    }, waitMs);
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      const head = [`POST ${u.pathname}${u.search} HTTP/1.1`, `host: ${u.host}`, `content-length: ${length}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${head.join('\r\n')}\r\n\r\n${'{'.padEnd(sent, ' ')}`);
    });
  });
}

/**
 * What the gateway has stored for the given sources: alerts (with their event counts and last change), transitions
 * and deliveries. A request answered 4xx must leave it exactly as it was. Other sources (a storm summary the gateway
 * writes by itself) are left out, so only what a request could have written is compared.
 */
export class StoreProbe {
  private readonly db: Database.Database;
  private readonly stmt: Database.Statement;

  constructor(path: string, sources: readonly string[]) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
    const list = sources.map(() => '?').join(', ');
    this.stmt = this.db.prepare(
      `select
         (select count(*) from alerts where source in (${list})) as alerts,
         (select coalesce(sum(event_count), 0) from alerts where source in (${list})) as events,
         (select coalesce(max(updated_at), 0) from alerts where source in (${list})) as updated,
         (select count(*) from transitions t join alerts a on a.id = t.alert_id where a.source in (${list})) as transitions,
         (select count(*) from deliveries d join alerts a on a.id = d.alert_id where a.source in (${list})) as deliveries`,
    );
    this.sources = [...sources];
  }

  private readonly sources: string[];

  snapshot(): Record<string, number> {
    const args = [...this.sources, ...this.sources, ...this.sources, ...this.sources, ...this.sources];
    return { ...(this.stmt.get(...args) as Record<string, number>) };
  }

  close(): void {
    this.db.close();
  }
}
