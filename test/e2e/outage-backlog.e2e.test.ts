/**
 * incident.io down while a backlog waits (outage.ts): the sender probes with one delivery at a time instead of trying
 * every queued row once — a 600-row backlog is a handful of attempts during the outage, for a refused connection and
 * for a 503 — and sends the whole queue once incident.io answers again, each alert once.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig } from '../harness.ts';

const ALERTS = 600;
const OUTAGE_MS = 4000;

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const downGauge = async (url: string) => /^tocsin_destination_down\{destination="oncall"\} (\d)/m.exec((await http('GET', `${url}/metrics`)).text)?.[1];

const attempts = async (url: string) => {
  const text = (await http('GET', `${url}/metrics`)).text;
  let n = 0;
  for (const m of text.matchAll(/^tocsin_delivery_attempts_total\{destination="oncall",outcome="(\w+)"\} (\d+)/gm)) n += Number(m[2]);
  return n;
};

for (const spec of [{ mode: 'refuse' }, { mode: 'status', status: 503 }]) {
  test(`incident.io down (${spec.mode === 'refuse' ? 'connection refused' : '503'}) with ${ALERTS} alerts queued: a few probes, then the whole queue once it is back`, { timeout: 90_000 }, async (t) => {
    const emu = await Emulator.start({ alertEventsPerMinute: 1_000_000 });
    cleanups.push(() => emu.close());
    const dir = tempDir();
    const port = await freePort();
    const config = gatewayConfig(emu, dir, port, { delivery: { poll_interval: '100ms', retry_base_delay: '200ms', retry_max_delay: '2s', concurrency: 8 } });
    Object.assign((config.destinations as Record<string, Record<string, unknown>>).oncall!, { rate_limit_per_minute: 1_000_000, rate_limit_burst: 1000 });
    const output: string[] = [];
    const tocsin = await startTocsin(writeConfig(dir, config), { port, output });
    cleanups.push(() => tocsin.kill('SIGKILL'));

    const down = await http('POST', `${emu.url}/_emulator/outage`, { body: { duration_ms: OUTAGE_MS, ...spec } });
    assert.equal(down.status, 201, down.text);
    const endsAt = Date.parse(down.body.outage.ends_at);
    assert.equal(await downGauge(tocsin.url), '0', 'the gauge is there before anything failed');
    const before = await attempts(tocsin.url);
    for (let i = 0; i < ALERTS; i += 100) {
      const batch = Array.from({ length: 100 }, (_, j) => ({ dedup_key: `k${i + j}`, title: `alert ${i + j}` }));
      assert.equal((await http('POST', `${tocsin.url}/ingest/app`, { token: APP_TOKEN, body: batch })).status, 202);
    }
    // Read while incident.io is still down: once it is back, the next probe may get through before a scrape.
    await waitFor('tocsin_destination_down while no probe has got through', async () => (await downGauge(tocsin.url)) === '1' || undefined, OUTAGE_MS, 50);
    assert.ok(Date.now() < endsAt, 'the gauge said down before incident.io was back');
    await waitFor('incident.io to be back', async () => (await http('GET', `${emu.url}/_emulator/status`)).body.outage === null, OUTAGE_MS + 5000, 100);
    const during = (await attempts(tocsin.url)) - before;
    // Without the gate every queued row is tried once (≥ 600). With it: the sends in flight when it went down, then
    // probes 0.2, 0.4, 0.8, 1.6, 2 s apart.
    assert.ok(during <= 8 + 10, `${during} attempts while incident.io was down`);

    const all = await waitFor('every alert in incident.io', async () => {
      const alerts = await emu.alerts();
      return alerts.length >= ALERTS ? alerts : undefined;
    }, 30_000, 200);
    const caughtUpMs = Date.now() - endsAt;
    assert.equal(new Set(all.map((a) => a.deduplication_key)).size, ALERTS, 'one incident.io alert per key');
    assert.equal(all.length, ALERTS);
    // Noticed within one probe pause (≤ retry_max_delay, 2 s), then the queue at full speed.
    assert.ok(caughtUpMs < 10_000, `caught up ${caughtUpMs} ms after incident.io was back`);
    assert.equal(await downGauge(tocsin.url), '0', 'tocsin_destination_down back to 0');
    const lines = (re: RegExp) => output.filter((l) => re.test(l)).length;
    assert.equal(lines(/destination unreachable: one delivery at a time/), 1, 'one line when it went down');
    assert.equal(lines(/destination answers again/), 1, 'one line when it came back');
    assert.ok(lines(/delivery will be retried/) <= during, 'one retry line per attempt, not per queued row');
    t.diagnostic(`${spec.mode}: ${during} attempts during a ${OUTAGE_MS / 1000} s outage with ${ALERTS} queued; all delivered ${caughtUpMs} ms after it ended`);
  });
}
