import type { Socket } from 'node:net';
import type { Logger } from 'pino';

const ANSWERS: Record<string, [number, string, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request_timeout', 'the request did not arrive in time (request_timeout in the config; the headers within 10 s at most)'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'bad_request', 'the request headers are too large'],
};

/**
 * A request Node's HTTP parser refuses never reaches Fastify's routes or our path-only request log. Node hands the
 * error its raw bytes (`rawPacket`: the request line, `?token=` included, and the headers), which Fastify's own
 * handler logs whole at trace: this one logs the parser's code only, and answers in tocsin's error shape.
 */
export function clientErrorHandler(logger: Logger) {
  return (err: Error, socket: Socket) => {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    if (code === 'ECONNRESET' || socket.destroyed) return;
    logger.debug({ code }, 'client error: request refused by the HTTP parser');
    const [status, reason, errorCode, message] = ANSWERS[code] ?? [400, 'Bad Request', 'bad_request', 'the request is not valid HTTP'];
    const body = JSON.stringify({ error: { code: errorCode, message } });
    if (socket.writable) socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    socket.destroy();
  };
}
