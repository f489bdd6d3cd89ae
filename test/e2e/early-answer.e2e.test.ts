/**
 * An answer tocsin sends before it has read the body (413 past a source's body_limit, 401 for a bad token) must reach
 * the sender, also one that asked for `Connection: close` and keeps sending. Node closes such a connection as soon as
 * the answer is written; with the sender's bytes unread, the kernel resets it, and the reset could drop the answer
 * before the sender read it: 3 % of chunked uploads past body_limit got no 413, only EPIPE (found by `npm run fuzz`).
 * tocsin now half-closes, reads on and drops the rest, then closes (api/slow-requests.ts closeIfBodyUnread).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { raw } from '../fuzz/gateway.ts';
import { Emulator, freePort, gatewayConfig, startTocsin, tempDir, writeConfig, type TocsinProcess } from '../harness.ts';

const TOKEN = 'early-answer-token-0123456789abcdef';
let emu: Emulator;
let gw: TocsinProcess;

before(async () => {
  emu = await Emulator.start();
  const dir = tempDir('tocsin-early-answer-');
  const port = await freePort();
  gw = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { sources: { small: { type: 'alerts', token: TOKEN, body_limit: 4096 } } })), { port });
});
after(async () => {
  await gw?.kill();
  await emu?.close();
});

/** A chunked upload over a plain socket with `Connection: close`, sending on until the answer arrives. */
const upload = (token: string, size: number, chunk: number) =>
  raw(`${gw.url}/ingest/small`, { headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ title: 't', description: 'c'.repeat(size) }), chunked: chunk });

test('400 chunked uploads past body_limit, Connection: close: every one reads its 413', async () => {
  const statuses = new Map<string, number>();
  for (let i = 0; i < 400; i++) {
    const r = await upload(TOKEN, 5_000 + ((i * 7919) % 195_000), 512 + (i % 64)).then((x) => String(x.status), (e: Error) => e.message);
    statuses.set(r, (statuses.get(r) ?? 0) + 1);
  }
  assert.deepEqual([...statuses], [['413', 400]]);
});

test('300 chunked uploads with a wrong token, Connection: close: every one reads its 401', async () => {
  const statuses = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const r = await upload('wrong-token-0123456789abcdef', 20_000 + i * 101, 600).then((x) => String(x.status), (e: Error) => e.message);
    statuses.set(r, (statuses.get(r) ?? 0) + 1);
  }
  assert.deepEqual([...statuses], [['401', 300]]);
});
