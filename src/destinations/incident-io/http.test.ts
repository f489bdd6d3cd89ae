import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createAgent, sendJson } from './http.ts';

let server: Server;
let base: string;
const agent = createAgent(500);

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/split') {
      // "é" is two bytes in UTF-8: send them in two writes.
      const bytes = Buffer.from('{"message":"café"}', 'utf8');
      const at = bytes.indexOf(0xc3) + 1;
      res.writeHead(422, { 'content-type': 'application/json', 'content-length': bytes.length });
      res.write(bytes.subarray(0, at));
      setTimeout(() => res.end(bytes.subarray(at)), 20);
    } else if (req.url === '/cut') {
      // The answer begins (202) and breaks off: the request may have taken effect, but we cannot know.
      res.writeHead(202, { 'content-type': 'application/json', 'content-length': 100 });
      res.write('{"status":');
      setTimeout(() => req.socket.resetAndDestroy(), 20);
    } else if (req.url === '/hang') {
      // Never answers: the caller's timeout must end it.
    } else {
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test('a character split across chunks is decoded whole', async () => {
  const out = await sendJson(agent, 'POST', `${base}/split`, {}, '{}', 500);
  assert.ok(out.ok);
  assert.equal(out.res.statusCode, 422);
  assert.equal(out.res.body, '{"message":"café"}');
});

test('an answer cut off after its status line is a network error, not a 202', async () => {
  const out = await sendJson(agent, 'POST', `${base}/cut`, {}, '{}', 500);
  assert.equal(out.ok, false);
  assert.ok(!out.ok && !out.timeout && /^network error: /.test(out.error), JSON.stringify(out));
});

test('no answer within the timeout is a timeout', async () => {
  const out = await sendJson(agent, 'POST', `${base}/hang`, {}, '{}', 200);
  assert.ok(!out.ok && out.timeout && out.error === 'timed out after 200 ms', JSON.stringify(out));
});

test('a refused connection is a network error naming the code', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const out = await sendJson(agent, 'POST', `http://127.0.0.1:${port}/`, {}, '{}', 500);
  assert.ok(!out.ok && out.error === 'network error: ECONNREFUSED', JSON.stringify(out));
});
