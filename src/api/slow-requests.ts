import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';

/** Headers come in the first packet or two from every real sender; only a slowloris needs longer. */
export const HEADERS_TIMEOUT_MS = 10_000;

/** How long a sender whose body we refused unread (401, 413, 404) gets to finish sending it before we hang up. */
export const UNREAD_BODY_GRACE_MS = 1_000;

/**
 * Node's own deadlines for receiving a request, for `http.createServer`: the headers within HEADERS_TIMEOUT_MS,
 * headers and body within `request_timeout`; a request still arriving then gets a 408 (client-error.ts) and its
 * connection is closed. Node checks them every `connectionsCheckingInterval` (30 s by default, so a bound of up to
 * twice the timeout): checked often enough here that the bound holds within a second.
 *
 * Both must be given to Node itself: Fastify sets `requestTimeout` after the server is built, and Node silently
 * checks nothing while `headersTimeout` (60 s by default) is larger than `requestTimeout`.
 */
export function httpTimeouts(requestTimeoutMs: number): Pick<ServerOptions, 'requestTimeout' | 'headersTimeout' | 'connectionsCheckingInterval'> {
  const headersTimeout = Math.min(requestTimeoutMs, HEADERS_TIMEOUT_MS);
  return { requestTimeout: requestTimeoutMs, headersTimeout, connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4))) };
}

/**
 * Called when an answer goes out before the request body was read (bad token, over the body limit, no such route).
 * Node would then read and discard the rest of the body for as long as the sender takes: one connection held
 * open per slow sender, with or without a token, until file descriptors ran out. The sender gets a short grace to
 * finish (so it can read our answer and reuse the connection); past it, the connection is closed.
 */
export function closeIfBodyUnread(request: IncomingMessage, response: ServerResponse, graceMs = UNREAD_BODY_GRACE_MS): void {
  if (request.complete) return;
  response.once('finish', () => {
    if (request.complete || request.socket.destroyed) return;
    const timer = setTimeout(() => {
      if (!request.complete) request.socket.destroy();
    }, graceMs);
    timer.unref();
    const done = () => clearTimeout(timer);
    request.once('end', done);
    request.once('close', done);
  });
}
