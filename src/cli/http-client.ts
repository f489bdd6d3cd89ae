import { request } from 'undici';
import { CliError, EXIT } from './exit.ts';
import { checkGatewayUrl, DEFAULT_TIMEOUT_S } from './options.ts';

export interface ClientOptions {
  gateway?: string;
  token?: string;
  /** Seconds; a gateway that does not answer in time is a failure, not a hang. */
  timeout?: number;
}

/** `--gateway`, else `$TOCSIN_URL`, else the default listen address. A value without a scheme is a usage error. */
export function gatewayUrl(o: ClientOptions): string {
  const fromEnv = o.gateway === undefined && process.env.TOCSIN_URL ? process.env.TOCSIN_URL : undefined;
  const url = o.gateway ?? fromEnv ?? 'http://127.0.0.1:8080';
  const problem = checkGatewayUrl(url);
  if (problem) throw new CliError(`${fromEnv !== undefined ? 'TOCSIN_URL' : '--gateway'} "${url}" is not a gateway URL. ${problem}`, EXIT.usage);
  return url.replace(/\/+$/, '');
}

/** The gateway answered with an error status: a command may treat some (a 404) as an answer rather than a failure. */
export class GatewayError extends CliError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Calls a running gateway; the CLI never opens the database behind it. Errors carry the gateway's own message. */
export async function call<T>(o: ClientOptions, method: 'GET' | 'POST' | 'DELETE', path: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: T }> {
  const base = gatewayUrl(o);
  const timeout = o.timeout ?? DEFAULT_TIMEOUT_S;
  let res;
  let text: string;
  try {
    res = await request(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeout * 1000),
    });
    text = await res.body.text();
  } catch (e) {
    if ((e as Error).name === 'TimeoutError') throw new CliError(`the gateway at ${base} did not answer within ${timeout} s (--timeout to wait longer)`);
    throw new CliError(`cannot reach the gateway at ${base}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  if (res.statusCode >= 400) {
    const err = (parsed as { error?: { message?: string } })?.error;
    throw new GatewayError(`gateway answered ${res.statusCode}: ${(err?.message ?? text.slice(0, 300)).replace(/\s+/g, ' ')}`, res.statusCode);
  }
  return { status: res.statusCode, body: parsed as T };
}
