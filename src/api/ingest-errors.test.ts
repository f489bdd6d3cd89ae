import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { buildConfig } from '../config/load.ts';
import { openSqlite } from '../storage/sqlite.ts';
import type { Gateway } from './gateway.ts';
import { Metrics } from './metrics.ts';
import { buildServer } from './server.ts';

const TOKEN = 'app-token-0123456789abcdef';

/** A gateway whose ingest fails with `error`: what does the sender get? */
async function answerWhenIngestThrows(error: Error) {
  const config = buildConfig({ sources: { app: { type: 'alerts', token: TOKEN } }, destinations: {}, routes: [] }, {}, '/');
  const db = await openSqlite({ path: ':memory:' });
  const gw: Gateway = {
    config: () => config,
    db,
    metrics: new Metrics(async () => []),
    ingest: async () => {
      throw error;
    },
    retryDelivery: async () => assert.fail('not called'),
    actOnAlert: async () => assert.fail('not called'),
    ack: { acknowledge: async () => assert.fail('not called'), unacknowledge: async () => assert.fail('not called'), verify: () => undefined },
    ready: async () => ({ ok: true }),
    cluster: async () => assert.fail('not called'),
    reload: async () => assert.fail('not called'),
  };
  const server = buildServer(gw, pino({ level: 'silent' }));
  try {
    const r = await server.inject({ method: 'POST', url: '/ingest/app', headers: { authorization: `Bearer ${TOKEN}` }, payload: { title: 'x' } });
    return { status: r.statusCode, body: r.json() as { error: { code: string; message: string } }, retryAfter: r.headers['retry-after'] };
  } finally {
    await server.close();
    await db.destroy();
  }
}

test('storage that takes no writes is a 503 to retry, with Retry-After', async () => {
  const r = await answerWhenIngestThrows(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
  assert.equal(r.status, 503);
  assert.equal(r.body.error.code, 'unavailable');
  assert.ok(r.retryAfter);
});

test('a bug of ours is a 500 that reveals nothing, not an outage', async () => {
  const r = await answerWhenIngestThrows(new TypeError("Cannot read properties of undefined (reading 'secret-ish')"));
  assert.equal(r.status, 500);
  assert.deepEqual(r.body, { error: { code: 'internal', message: 'internal error; see the tocsin log' } });
});
