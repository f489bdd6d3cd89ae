import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { limitedBody } from './body-limit.ts';

const read = async (s: NodeJS.ReadableStream) => {
  let total = 0;
  for await (const c of s as AsyncIterable<Buffer>) total += c.length;
  return total;
};
const chunks = (n: number, size: number) => Readable.from(Array.from({ length: n }, () => Buffer.alloc(size, 120)));

test('a body up to the limit passes whole; one byte more fails with the given error', async () => {
  assert.equal(await read(limitedBody(chunks(4, 250), 1000, () => new Error('too large'))), 1000);
  await assert.rejects(read(limitedBody(chunks(5, 250), 999, () => new Error('too large'))), /too large/);
});

test('it stops at the first chunk past the limit, without reading the rest', async () => {
  let pulled = 0;
  const source = new Readable({
    read() {
      pulled++;
      this.push(Buffer.alloc(100));
    },
  });
  await assert.rejects(read(limitedBody(source, 250, () => new Error('too large'))), /too large/);
  // What stream buffers read ahead (16 KiB each), never the endless rest.
  assert.ok(pulled * 100 < 64 * 1024, `pulled ${pulled} chunks from an endless body`);
  source.destroy();
});

test('an error of the body (an aborted request) ends the read with that error', async () => {
  const source = new Readable({ read() {} });
  const reading = read(limitedBody(source, 1000, () => new Error('too large')));
  source.push(Buffer.alloc(10));
  source.destroy(new Error('aborted'));
  await assert.rejects(reading, /aborted/);
});
