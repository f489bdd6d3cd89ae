import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator, type RunningEmulator } from './index.ts';
import { call } from './test-client.ts';

const SOURCE = { id: '01HSOURCEOUTAGEAAAAAAAAAAA', token: 'SECRET-outage-token-1c9d' };
const EVENT = { title: 'Disk full', status: 'firing', deduplication_key: 'disk-full' };

let emu: RunningEmulator;
const sendEvent = (body: unknown = EVENT) => call(emu.url, 'POST', `/v2/alert_events/http/${SOURCE.id}`, { bearer: SOURCE.token, body });
const get = async (path: string) => (await call(emu.url, 'GET', path)).json;
const outage = (spec: Record<string, unknown>) => call(emu.url, 'POST', '/_emulator/outage', { body: spec });
const errorCode = (e: unknown): string => {
  const err = e as { code?: string; cause?: { code?: string } };
  return err.cause?.code ?? err.code ?? String(e);
};

before(async () => {
  emu = await startEmulator({ alertSources: [SOURCE] });
});
after(() => emu.close());
beforeEach(async () => {
  await call(emu.url, 'POST', '/_emulator/reset');
});

describe('outage', () => {
  it('status: every API request gets the 5xx (with Retry-After) until it ends by itself; nothing changes, faults wait', async () => {
    await call(emu.url, 'POST', '/_emulator/faults', { body: { path_prefix: '/v2/', status: 500 } });
    const started = await outage({ duration_ms: 400, retry_after: 3 });
    assert.equal(started.status, 201);
    assert.equal(started.json.outage.mode, 'status');
    assert.equal(started.json.outage.status, 503);
    for (let i = 0; i < 3; i++) {
      const r = await sendEvent();
      assert.equal(r.status, 503);
      assert.equal(r.headers['retry-after'], '3');
      assert.equal(r.json.type, 'service_unavailable');
    }
    const status = await get('/_emulator/status');
    assert.equal(status.outage.mode, 'status', '/_emulator keeps working');
    assert.match((await call(emu.url, 'GET', '/_emulator/')).text, /Down: every API request is answered 503 until /);
    assert.equal(status.faults.length, 1, 'queued faults are not consumed while down');
    assert.deepEqual((await get('/_emulator/alerts')).alerts, []);
    await new Promise((r) => setTimeout(r, 450));
    assert.equal((await get('/_emulator/status')).outage, null);
    assert.equal((await sendEvent()).status, 500, 'the queued fault comes next');
    assert.equal((await sendEvent()).status, 202);
    const log = (await get('/_emulator/requests')).requests;
    assert.equal(log[0].fault, 'outage: status 503');
  });

  it('status: DELETE ends it early; a reset ends it too', async () => {
    await outage({ duration_ms: 60_000, status: 502 });
    assert.equal((await sendEvent()).status, 502);
    assert.deepEqual((await call(emu.url, 'DELETE', '/_emulator/outage')).json, { outage: null });
    assert.equal((await sendEvent()).status, 202);
    await outage({ duration_ms: 60_000 });
    await call(emu.url, 'POST', '/_emulator/reset');
    assert.equal((await sendEvent()).status, 202);
  });

  it('refuse: connections are refused for the duration, then the same URL answers again with its state intact', async () => {
    assert.equal((await sendEvent()).status, 202);
    const started = await outage({ duration_ms: 600, mode: 'refuse' });
    assert.equal(started.status, 201);
    assert.equal(started.json.outage.mode, 'refuse');
    await new Promise((r) => setTimeout(r, 50));
    const refused = await sendEvent().then(
      () => 'answered',
      (e: unknown) => errorCode(e),
    );
    assert.equal(refused, 'ECONNREFUSED');
    await new Promise((r) => setTimeout(r, 700));
    assert.equal((await sendEvent({ ...EVENT, title: 'Disk still full' })).status, 202);
    const [alert, ...more] = (await get('/_emulator/alerts')).alerts;
    assert.equal(more.length, 0);
    assert.equal(alert.events, 2);
  });

  it('refuse: an open keep-alive connection is closed too', async () => {
    // The first request opens a pooled connection; the outage must not let it through.
    assert.equal((await sendEvent()).status, 202);
    await outage({ duration_ms: 300, mode: 'refuse' });
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(sendEvent());
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await sendEvent()).status, 202);
  });

  it('refuses invalid specs', async () => {
    for (const spec of [{}, { duration_ms: 0 }, { duration_ms: 100, mode: 'refuse', status: 503 }, { duration_ms: 100, status: 404 }, { duration_ms: 100, mode: 'later' }]) {
      assert.equal((await outage(spec)).status, 400, JSON.stringify(spec));
    }
  });
});

describe('close during an outage', () => {
  it('a refusing emulator still closes (and a status one)', async () => {
    for (const mode of ['refuse', 'status']) {
      const e = await startEmulator({ alertSources: [SOURCE] });
      assert.equal((await call(e.url, 'POST', '/_emulator/outage', { body: { duration_ms: 60_000, mode } })).status, 201);
      await new Promise((r) => setTimeout(r, 50));
      const closed = await Promise.race([e.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 3000))]);
      assert.equal(closed, 'closed', mode);
    }
  });
});
