/**
 * Option parsers shared by the commands. Each one refuses a bad value with commander's InvalidArgumentError, which
 * main.ts prints as one line and exits 2: a typo never reaches the network or a stack trace.
 */
import { InvalidArgumentError, type Command } from 'commander';

export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Give a whole number${max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` from ${min} to ${max}`}.`);
    }
    return n;
  };
}

export function seconds(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('Give a number of seconds above 0, e.g. 10 or 2.5.');
  return n;
}

/**
 * What is wrong with a gateway address, if anything. It must say its scheme: `localhost:8080` alone would be read
 * as a URL whose scheme is "localhost".
 */
export function checkGatewayUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'Not a URL: write it with its scheme, e.g. http://127.0.0.1:8080';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Start it with http:// or https://, e.g. http://127.0.0.1:8080';
  if (url.search || url.hash) return "Give the gateway's base URL, without ?query or #fragment";
  return undefined;
}

export function gatewayOption(raw: string): string {
  const problem = checkGatewayUrl(raw);
  if (problem) throw new InvalidArgumentError(`${problem}.`);
  return raw;
}

export const DEFAULT_TIMEOUT_S = 10;

/** Options of every command that calls a running gateway. */
export interface GatewayOptions {
  gateway?: string;
  timeout: number;
  json?: boolean;
}
export interface AdminOptions extends GatewayOptions {
  adminToken?: string;
}

export const withGateway = (c: Command) =>
  c
    .option('--gateway <url>', 'gateway URL (default: $TOCSIN_URL or http://127.0.0.1:8080)', gatewayOption)
    .option('--timeout <seconds>', 'give up on a request after this long', seconds, DEFAULT_TIMEOUT_S)
    .option('--json', 'print JSON');

export const withAdmin = (c: Command) => withGateway(c).option('--admin-token <token>', 'admin token (default: $TOCSIN_ADMIN_TOKEN)');

export const adminToken = (o: { adminToken?: string }) => o.adminToken ?? process.env.TOCSIN_ADMIN_TOKEN;
