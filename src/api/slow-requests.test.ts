import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { closeIfBodyUnread, httpTimeouts } from './slow-requests.ts';

test('httpTimeouts: headers within 10 s (or the request timeout, if shorter), checked often enough to hold the bound', () => {
  assert.deepEqual(httpTimeouts(30_000), { requestTimeout: 30_000, headersTimeout: 10_000, connectionsCheckingInterval: 1000 });
  assert.deepEqual(httpTimeouts(2000), { requestTimeout: 2000, headersTimeout: 2000, connectionsCheckingInterval: 500 });
  // Node checks nothing while headersTimeout > requestTimeout: never produce that.
  for (const t of [1000, 5000, 10_000, 3_600_000]) assert.ok(httpTimeouts(t).headersTimeout! <= t);
});

/** A server answering 401 at once, without reading the body; the client sends a byte every 100 ms. */
async function refusedSlowBody(complete: boolean): Promise<{ answeredMs: number; closedMs: number }> {
  const server = createServer((req, res) => {
    closeIfBodyUnread(req, res, 300);
    res.statusCode = 401;
    res.end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve) => {
      const started = Date.now();
      let answeredMs = -1;
      const s = connect(port, '127.0.0.1', () => s.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${complete ? 2 : 1000}\r\n\r\n`));
      let sent = 0;
      const timer = setInterval(() => s.writable && sent++ < (complete ? 2 : 1000) && s.write(' '), 100);
      s.on('data', () => (answeredMs = answeredMs < 0 ? Date.now() - started : answeredMs));
      // Cut off while writing, the socket may see a reset rather than an end: either way 'close' follows.
      s.on('error', () => undefined);
      s.on('close', () => {
        clearInterval(timer);
        resolve({ answeredMs, closedMs: Date.now() - started });
      });
      // A sender that finished its body keeps its connection: close it ourselves after a while.
      setTimeout(() => s.destroy(), 1500);
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

test('closeIfBodyUnread: a body still arriving after the answer is cut off after the grace', async () => {
  const r = await refusedSlowBody(false);
  assert.ok(r.answeredMs >= 0 && r.answeredMs < 200, `answered after ${r.answeredMs} ms`);
  assert.ok(r.closedMs >= 250 && r.closedMs < 1000, `closed after ${r.closedMs} ms`);
});

test('closeIfBodyUnread: a sender that finishes its body within the grace keeps its connection', async () => {
  const r = await refusedSlowBody(true);
  assert.ok(r.closedMs >= 1400, `closed after ${r.closedMs} ms`);
});
