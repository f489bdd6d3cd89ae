import { Agent, request, type Dispatcher } from 'undici';

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  latencyMs: number;
}

export type HttpOutcome = { ok: true; res: HttpResult } | { ok: false; error: string; timeout: boolean; latencyMs: number };

/** One keep-alive pool per destination; connections to incident.io are reused across sends. */
export function createAgent(timeoutMs: number): Agent {
  return new Agent({ keepAliveTimeout: 30_000, connections: 16, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: timeoutMs });
}

/** Bounded read: a misbehaving server cannot make us hold a huge body in memory. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export async function sendJson(
  dispatcher: Dispatcher,
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
): Promise<HttpOutcome> {
  const started = performance.now();
  try {
    const res = await request(url, {
      method,
      dispatcher,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Bytes first, decoded once: a character split across two chunks must not turn into two U+FFFDs.
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      if (size < MAX_RESPONSE_BYTES) {
        chunks.push(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    }
    const text = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
    return { ok: true, res: { statusCode: res.statusCode, headers: res.headers, body: text, latencyMs: performance.now() - started } };
  } catch (e) {
    const err = e as Error & { code?: string };
    const timeout = err.name === 'TimeoutError' || err.name === 'AbortError' || /TIMEOUT/.test(err.code ?? '');
    // Only the error class and code: undici errors can carry request options, and those hold the token.
    return { ok: false, error: timeout ? `timed out after ${timeoutMs} ms` : `network error: ${err.code ?? err.name}`, timeout, latencyMs: performance.now() - started };
  }
}

export function header(res: HttpResult, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
