/**
 * Graceful stop: SIGTERM stops taking requests, lets the send in flight finish and records it, and exits 0 within
 * the shutdown timeout (src/cli/shutdown.ts); a send slower than that is cut off and sent again after the restart.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

/** `shutdown_timeout` in these tests' config (the default is 10 s). */
const SHUTDOWN_TIMEOUT_MS = 5_000;

const send = (t: TocsinProcess, body: unknown) => http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body });
const api = (t: TocsinProcess, path: string) => http('GET', `${t.url}/api/v1${path}`, { token: ADMIN_TOKEN });

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Sends SIGTERM and answers how the process ended and how long it took (once its output is all read: 'close'). */
async function terminate(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('close', (code, signal) => r({ code, signal })));
  const t0 = performance.now();
  proc.kill('SIGTERM');
  const how = await ended;
  return { ...how, ms: performance.now() - t0 };
}

/** A send on the wire: the emulator has the request and has not answered it (its latency fault holds it). */
async function sendOnTheWire(emu: Emulator) {
  await waitFor('the send to reach the emulator', async () => (await emu.requests()).some((r) => r.outcome === 'pending'));
}

async function gateway(latencyMs: number, sendTimeoutMs = 10_000) {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const settings = gatewayConfig(emu, dir, port, { shutdown_timeout: `${SHUTDOWN_TIMEOUT_MS}ms`, delivery: { poll_interval: '100ms', retry_base_delay: '100ms' } });
  (settings.destinations.oncall as Record<string, unknown>).timeout_ms = sendTimeoutMs;
  const config = writeConfig(dir, settings);
  const tocsin = await startTocsin(config, { port });
  cleanups.push(() => tocsin.kill('SIGKILL'));
  await emu.fault({ path_prefix: '/v2/alert_events', count: 1, latency_ms: latencyMs });
  const r = await send(tocsin, { title: 'Payments DB down', dedup_key: 'payments-db', severity: 'critical' });
  assert.equal(r.status, 202);
  await sendOnTheWire(emu);
  return { emu, config, port, tocsin };
}

test('SIGTERM with a slow answer in flight: no new requests, the send completes and is recorded, exit 0 within the bound', async () => {
  const latency = 2_500;
  const { emu, config, port, tocsin } = await gateway(latency);
  const sentAt = performance.now();
  const stopping = terminate(tocsin.proc);

  // While it waits for the send, the gateway takes nothing new: the listener is closed (or a 503 on a live connection).
  await waitFor('the stop to begin', () => tocsin.output.some((l) => l.includes('"stopping')));
  const late = await send(tocsin, { title: 'Arrived during shutdown', dedup_key: 'late' }).then(
    (r) => r.status,
    (e: NodeJS.ErrnoException) => e.code,
  );
  assert.ok(late === 503 || late === 'ECONNREFUSED', `a request during shutdown got ${late}`);

  const { code, signal, ms } = await stopping;
  assert.equal(signal, null);
  assert.equal(code, 0, tocsin.output.join('\n'));
  assert.ok(performance.now() - sentAt >= latency - 500, 'it waited for the answer');
  assert.ok(ms < SHUTDOWN_TIMEOUT_MS, `exited after ${Math.round(ms)} ms`);
  assert.ok(tocsin.output.some((l) => l.includes('"stopped"')), 'logged a clean stop');
  assert.ok(!tocsin.output.some((l) => l.includes('shutdown timeout passed')));

  // The outcome was recorded before the exit: the restart finds it delivered and sends nothing again.
  const again = await startTocsin(config, { port });
  cleanups.push(() => again.kill('SIGKILL'));
  const delivered = (await api(again, '/deliveries?status=delivered')).body.deliveries;
  assert.equal(delivered.length, 1, 'recorded as delivered before the exit');
  assert.deepEqual((await api(again, '/deliveries?status=in_flight')).body.deliveries, []);
  await new Promise((r) => setTimeout(r, 1_000));
  const events = await emu.requests();
  assert.equal(events.length, 1, 'sent once: nothing resent after the restart');
  assert.deepEqual((await emu.alerts()).map((a) => a.deduplication_key), ['app:payments-db']);
  assert.equal(await terminate(again.proc).then((r) => r.code), 0, 'an idle gateway stops cleanly too');
});

test('a send slower than the bound: exit 0 at the bound (+1 s at most), the row stays in flight and is resent after the restart', async () => {
  // The send's own timeout (timeout_ms, 10 s by default) would end it at the bound and record a retry: lift it.
  const { emu, config, port, tocsin } = await gateway(SHUTDOWN_TIMEOUT_MS + 2_000, 30_000);
  const { code, ms } = await terminate(tocsin.proc);
  assert.equal(code, 0, tocsin.output.join('\n'));
  assert.ok(ms >= SHUTDOWN_TIMEOUT_MS - 100, `waited for the bound (${Math.round(ms)} ms)`);
  assert.ok(ms < SHUTDOWN_TIMEOUT_MS + 1_000, `exited after ${Math.round(ms)} ms`);
  assert.ok(tocsin.output.some((l) => l.includes('shutdown timeout passed')), `said why it exited with a send in flight:\n${tocsin.output.slice(-5).join('\n')}`);

  const again = await startTocsin(config, { port });
  cleanups.push(() => again.kill('SIGKILL'));
  // Sent again with the same key; the lease of the stopped process may have to expire first (10 s by default).
  await waitFor('the resend to be delivered', async () => (await api(again, '/deliveries?status=delivered')).body.deliveries.length === 1, 30_000, 200);
  const events = await emu.requests();
  assert.ok(events.length >= 2, `the cut-off send and its resend (${events.length})`);
  assert.deepEqual((await emu.alerts()).map((a) => a.deduplication_key), ['app:payments-db'], 'one alert in incident.io: the same key collapsed');
});

test('SIGTERM while a request is arriving: it is answered (202, stored and delivered), then the process exits 0', async () => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const tocsin = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { delivery: { poll_interval: '100ms' } })), { port });
  cleanups.push(() => tocsin.kill('SIGKILL'));

  // Half a body on the wire when the signal comes; the rest after the stop has begun.
  const body = JSON.stringify({ title: 'Checkout latency', dedup_key: 'checkout-latency', severity: 'error' });
  const req = httpRequest(`${tocsin.url}/ingest/app`, {
    method: 'POST',
    headers: { authorization: `Bearer ${APP_TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const answered = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0)));
    req.on('error', reject);
  });
  req.write(body.slice(0, 20));
  await new Promise((r) => setTimeout(r, 200));
  const stopping = terminate(tocsin.proc);
  await waitFor('the stop to begin', () => tocsin.output.some((l) => l.includes('"stopping')));
  req.end(body.slice(20));

  assert.equal(await answered, 202, 'the request in flight was answered');
  const { code, ms } = await stopping;
  assert.equal(code, 0, tocsin.output.join('\n'));
  assert.ok(ms < SHUTDOWN_TIMEOUT_MS, `exited after ${Math.round(ms)} ms`);
  // Accepted means stored: the worker sent it before the exit, or the restart does.
  const again = await startTocsin(tocsin.configPath, { port });
  cleanups.push(() => again.kill('SIGKILL'));
  await waitFor('delivered', async () => (await api(again, '/deliveries?status=delivered')).body.deliveries.length === 1);
  assert.deepEqual((await emu.alerts()).map((a) => a.deduplication_key), ['app:checkout-latency']);
});
