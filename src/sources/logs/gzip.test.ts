import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { acceptsGzip, gunzipCapped } from './gzip.ts';

class Refused extends Error {
  constructor(readonly status: number) {
    super(String(status));
  }
}

async function read(bytes: Buffer, cap: number): Promise<{ text: string; wire: number } | Refused> {
  const stream = gunzipCapped(Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]), cap, () => new Refused(413), () => new Refused(400));
  try {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return { text: Buffer.concat(chunks).toString(), wire: stream.receivedEncodedLength };
  } catch (e) {
    if (e instanceof Refused) return e;
    throw e;
  }
}

test('a gzip body is inflated, and the bytes on the wire are counted', async () => {
  const text = '{"message":"x"}\n'.repeat(100);
  const gz = gzipSync(text);
  const r = await read(gz, 10_000);
  assert.ok(!(r instanceof Refused));
  assert.equal(r.text, text);
  assert.equal(r.wire, gz.length);
});

test('a zip bomb stops at the cap (413); corrupt gzip is a 400', async () => {
  const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
  assert.ok(bomb.length < 100_000);
  const r = await read(bomb, 1024 * 1024);
  assert.ok(r instanceof Refused && r.status === 413);
  const corrupt = await read(Buffer.from('this is not gzip at all, not even close'), 1024);
  assert.ok(corrupt instanceof Refused && corrupt.status === 400);
  const truncated = gzipSync('{"message":"x"}\n'.repeat(1000));
  const cut = await read(truncated.subarray(0, truncated.length - 20), 1_000_000);
  assert.ok(cut instanceof Refused && cut.status === 400);
});

test('Content-Encoding: gzip and x-gzip inflate, none and identity pass, anything else is refused', () => {
  assert.equal(acceptsGzip('gzip'), 'gzip');
  assert.equal(acceptsGzip('X-Gzip'), 'gzip');
  assert.equal(acceptsGzip(undefined), 'identity');
  assert.equal(acceptsGzip('identity'), 'identity');
  assert.equal(acceptsGzip('br'), 'other');
});
