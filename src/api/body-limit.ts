import { Transform } from 'node:stream';

/**
 * The body as it arrives, cut off with `tooLarge()` as soon as more than `limit` bytes came: a chunked body has no
 * Content-Length to check first, and was read whole whatever the source's `body_limit`. The rest of the body is
 * left unread; the answer goes out and the connection is closed after a grace (slow-requests.ts).
 *
 * `pipe`, not `pipeline`: pipeline would destroy the request, and with it the socket our 413 is written to.
 */
export function limitedBody(body: NodeJS.ReadableStream, limit: number, tooLarge: () => Error): NodeJS.ReadableStream {
  let seen = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) callback(tooLarge());
      else callback(null, chunk);
    },
  });
  // An aborted request ends the read with its error, as it would without us in between.
  body.once('error', (e: Error) => counted.destroy(e));
  return body.pipe(counted);
}
