import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * A gzip body may decompress to at most `body_limit` × this. Log text compresses 5–15× (repetitive lines more), so a
 * body at the limit on the wire still fits; Vector's HTTP sink batches up to 10 MB before compressing (`batch.max_bytes`)
 * and Fluent Bit's chunks are about 2 MB, both within 10 × the default 1 MiB. Past that it is a zip bomb as far as we
 * are concerned (1 KiB of zeros gzips to ~30 bytes, a 1000× ratio), and one request's text stays bounded in memory.
 */
export const GZIP_EXPANSION = 10;

export function acceptsGzip(encoding: string | string[] | undefined): 'gzip' | 'identity' | 'other' {
  if (encoding === undefined) return 'identity';
  const e = (Array.isArray(encoding) ? encoding.join(',') : encoding).trim().toLowerCase();
  if (e === '' || e === 'identity') return 'identity';
  return e === 'gzip' || e === 'x-gzip' ? 'gzip' : 'other';
}

/**
 * The body decompressed as it arrives, stopped with `tooLarge()` once more than `cap` bytes came out, and with
 * `corrupt()` when the bytes are not gzip. `receivedEncodedLength` tells Fastify how many bytes came on the wire, so
 * its Content-Length check compares like with like.
 */
export function gunzipCapped(body: NodeJS.ReadableStream, cap: number, tooLarge: () => Error, corrupt: (message: string) => Error): NodeJS.ReadableStream & { receivedEncodedLength: number } {
  let inflated = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      inflated += chunk.length;
      if (inflated > cap) callback(tooLarge());
      else callback(null, chunk);
    },
  }) as Transform & { receivedEncodedLength: number };
  counted.receivedEncodedLength = 0;
  const gunzip = createGunzip();
  body.on('data', (c: Buffer) => (counted.receivedEncodedLength += c.length));
  // An aborted request ends the read with its error, as it would without us in between.
  body.once('error', (e: Error) => counted.destroy(e));
  gunzip.once('error', (e: Error) => counted.destroy(corrupt(e.message)));
  // Once the cap is hit, stop inflating: the rest of the bomb is never expanded.
  counted.once('error', () => gunzip.destroy());
  // `pipe`, not `pipeline`: pipeline would destroy the request, and with it the socket the answer is written to.
  body.pipe(gunzip).pipe(counted);
  return counted;
}
