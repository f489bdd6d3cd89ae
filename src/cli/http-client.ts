import { request } from 'undici';
import { CliError } from './exit.ts';

export interface ClientOptions {
  gateway?: string;
  token?: string;
}

export const gatewayUrl = (o: ClientOptions) => (o.gateway ?? process.env.TOCSIN_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');

/** Calls a running gateway; the CLI never opens the database behind it. Errors carry the gateway's own message. */
export async function call<T>(o: ClientOptions, method: 'GET' | 'POST', path: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: T }> {
  const url = `${gatewayUrl(o)}${path}`;
  let res;
  try {
    res = await request(url, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new CliError(`cannot reach the gateway at ${gatewayUrl(o)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  if (res.statusCode >= 400) {
    const err = (parsed as { error?: { message?: string } })?.error;
    throw new CliError(`gateway answered ${res.statusCode}: ${err?.message ?? text.slice(0, 300)}`);
  }
  return { status: res.statusCode, body: parsed as T };
}
