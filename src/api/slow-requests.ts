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
 *
 * Closing must linger. When the sender asked for `Connection: close`, Node destroys the socket as soon as the answer
 * is written; with the sender's bytes still unread, the kernel then resets the connection, and a reset makes the
 * sender's kernel drop our answer if it has not been read yet (seen: a chunked upload past body_limit got no 413,
 * only EPIPE, in 3 % of tries). So here the socket only half-closes after the answer, the rest of the body is read
 * and dropped, and the grace ends it.
 */
export function closeIfBodyUnread(request: IncomingMessage, response: ServerResponse, graceMs = UNREAD_BODY_GRACE_MS): void {
  if (request.complete) return;
  const socket = request.socket;
  // What Node's server calls once a `Connection: close` answer is written (net.Socket#destroySoon: end, then destroy).
  Object.assign(socket, { destroySoon: () => void socket.end() });
  response.once('finish', () => {
    if (request.complete || socket.destroyed) return;
    // Read on and drop (the answer is out: nothing downstream wants the body, a gzip or size counter included):
    // nothing is left unread in the kernel when the socket closes, so it closes without a reset.
    request.unpipe();
    request.resume();
    // Past the grace: a sender still sending is cut off, and so is one that keeps a connection we have closed our
    // side of; one that finished its body on a kept-alive connection keeps it.
    const timer = setTimeout(() => {
      if (!request.complete || socket.writableEnded) socket.destroy();
    }, graceMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}
