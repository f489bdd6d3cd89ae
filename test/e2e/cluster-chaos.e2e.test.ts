/**
 * The chaos test of issue 11: three instances on one PostgreSQL, senders spread over them, 10,000 alerts with updates
 * and resolves, `kill -9` of the destination's sender mid-storm, then of the next sender after the first came back.
 * Every accepted transition must reach incident.io (the emulator's final state is the senders' final state), no alert
 * is doubled (never a firing after a resolve for one key: that would open a second alert), and the emulator never
 * answers 429, nor sees more than one sender's worth of traffic in any window (the global limit held).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { freshPostgres } from '../postgres.ts';
import { acceptedEvents, deliveredPerWindow, doubledKeys, type Model, mismatches } from './cluster-checks.ts';

const ALERTS = 10_000;
const PER_REQUEST = 50;
const RATE_PER_MINUTE = 12_000;
const BURST = 100;

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface Instance {
  port: number;
  config: string;
  t: TocsinProcess | undefined;
}

test('three instances, 10,000 alerts, kill -9 of the sender twice: nothing lost, nothing doubled, no 429', { timeout: 420_000 }, async (t) => {
  const emu = await Emulator.start({ alertEventsPerMinute: RATE_PER_MINUTE, maxRecords: 200_000 });
  cleanups.push(() => emu.close());
  const db = await freshPostgres();
  if (!process.env.CHAOS_KEEP) cleanups.push(() => db.drop());
  else console.error(`database kept: ${db.url}`);
  const dir = tempDir();
  const instances: Instance[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const config = gatewayConfig(emu, dir, port, {
      storage: { postgres: db.url },
      cluster: { lease_ttl: '3s' },
      delivery: { poll_interval: '100ms', retry_base_delay: '200ms', concurrency: 32 },
    });
    Object.assign((config.destinations as Record<string, Record<string, unknown>>).oncall!, { rate_limit_per_minute: RATE_PER_MINUTE, rate_limit_burst: BURST });
    instances.push({ port, config: writeConfig(dir, config, `tocsin-${i}.yaml`), t: undefined });
  }
  const start = async (i: Instance) => {
    i.t = await startTocsin(i.config, { port: i.port });
    cleanups.push(() => i.t!.kill('SIGKILL'));
  };
  await Promise.all(instances.map(start));

  /** The instance that sends for the destination now, by the lease every instance reads. */
  const senderIndex = async () => {
    for (const i of instances) {
      if (!i.t) continue;
      const r = await http('GET', `${i.t.url}/api/v1/cluster`, { token: 'admin-token-0123456789abcdef' }).catch(() => undefined);
      const lease = r?.body?.leases?.find((l: { name: string }) => l.name === 'destination:oncall');
      if (lease?.expires_at) return instances.findIndex((x) => x.t && lease.holder.includes(`:${x.t.proc.pid}:`));
    }
    return -1;
  };
  const kills: { at: number; index: number }[] = [];
  const killSender = async () => {
    const index = await waitFor('a sender', async () => {
      const i = await senderIndex();
      return i >= 0 ? i : undefined;
    });
    const victim = instances[index]!;
    kills.push({ at: Date.now(), index });
    await victim.t!.kill('SIGKILL');
    victim.t = undefined;
    // Back after a moment, as a supervisor would restart it.
    setTimeout(() => void start(victim), 1500);
  };

  // Like a load balancer: round robin over the instances, the next one when an instance is down or answers 503.
  const model: Model = new Map();
  let rr = 0;
  let retriedRequests = 0;
  const post = async (events: { dedup_key: string; title: string; status?: string }[]) => {
    for (let attempt = 0; attempt < 60; attempt++) {
      const inst = instances[rr++ % instances.length]!;
      if (!inst.t) continue;
      const r = await http('POST', `${inst.t.url}/ingest/app`, { token: APP_TOKEN, body: events }).catch(() => undefined);
      if (r?.status === 202) {
        for (const e of events) model.set(`app:${e.dedup_key}`, { state: e.status === 'resolved' ? 'resolved' : 'firing', title: e.title });
        return;
      }
      retriedRequests++;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('no instance accepted a request in 60 tries');
  };
  const sendAll = async (events: { dedup_key: string; title: string; status?: string }[], during?: { afterFraction: number; run: () => Promise<void> }) => {
    const batches: (typeof events)[] = [];
    for (let i = 0; i < events.length; i += PER_REQUEST) batches.push(events.slice(i, i + PER_REQUEST));
    let next = 0;
    let fired = false;
    const worker = async () => {
      while (next < batches.length) {
        const b = batches[next++]!;
        if (during && !fired && next >= batches.length * during.afterFraction) {
          fired = true;
          await during.run();
        }
        await post(b);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
  };

  const began = Date.now();
  // Phases on stdout as they pass: if the run is cut by a timeout, the output still says where it stood.
  const phase = (what: string) => console.log(`chaos: ${what} at ${Date.now() - began} ms`);
  const keys = Array.from({ length: ALERTS }, (_, i) => `k${i}`);
  await sendAll(keys.map((k, i) => ({ dedup_key: k, title: `alert ${i}`, severity: i % 10 === 0 ? 'critical' : 'warning' })));
  const ingestMs = Date.now() - began;
  phase('10,000 alerts accepted');
  // Mid-storm: the sender dies while thousands are queued behind it.
  await waitFor('2,000 delivered', async () => (await emu.requests()).filter((r) => r.status === 202).length >= 2000, 60_000);
  await killSender();
  phase(`2,000 delivered, instance ${kills[0]!.index} killed`);
  await sendAll(keys.filter((_, i) => i % 10 < 3).map((k, i) => ({ dedup_key: k, title: `alert ${k} updated ${i}` })));
  // The next sender dies while resolves come in (after the first victim is back).
  await waitFor('the first victim back', () => instances.every((i) => i.t), 20_000);
  phase('updates accepted, the first victim back');
  const resolved = keys.filter((_, i) => i % 2 === 0);
  await sendAll(
    resolved.map((k) => ({ dedup_key: k, title: model.get(`app:${k}`)!.title, status: 'resolved' })),
    { afterFraction: 0.5, run: killSender },
  );
  phase(`resolves accepted, instance ${kills[1]!.index} killed on the way`);

  const final = await waitFor(
    'incident.io to match every sender',
    async () => {
      const alerts = await emu.alerts();
      return mismatches(model, alerts).length === 0 ? alerts : undefined;
    },
    Number(process.env.CHAOS_WAIT_MS ?? 240_000),
    2000,
  ).catch(async (e) => {
    const m = mismatches(model, await emu.alerts());
    phase(`still ${m.length} mismatches`);
    if (process.env.CHAOS_KEEP) (await import('node:fs')).writeFileSync('/tmp/chaos-requests.json', JSON.stringify(await emu.requests()));
    throw new Error(`${(e as Error).message}: ${m.length} mismatches, e.g. ${JSON.stringify(m.slice(0, 3))}`);
  });
  const drainedMs = Date.now() - began;
  const requests = await emu.requests();
  const events = acceptedEvents(requests);
  assert.deepEqual(doubledKeys(events), [], 'an alert fired again after its resolve: a second alert in incident.io');
  const perKey = new Map<string, number>();
  for (const a of final) perKey.set(a.deduplication_key, (perKey.get(a.deduplication_key) ?? 0) + 1);
  assert.deepEqual([...perKey].filter(([, n]) => n > 1), [], 'one incident.io alert per key');
  assert.equal(requests.filter((r) => r.status === 429).length, 0, 'the emulator never answered 429');
  // One sender's bucket: at most burst + rate × window in any window (two senders at once would double it).
  const windowMs = 5000;
  const busiest = deliveredPerWindow(events, windowMs);
  const bound = BURST + (RATE_PER_MINUTE / 60_000) * windowMs;
  assert.ok(busiest <= bound * 1.05, `${busiest} events in ${windowMs} ms; one sender allows ${bound}`);

  const repeats = events.length - new Set(events.map((e) => `${e.key}/${e.status}/${e.title}`)).size;
  t.diagnostic(
    `alerts ${ALERTS}, transitions accepted ${ALERTS + 3000 + resolved.length}; ingest of the first 10,000 ${ingestMs} ms (${Math.round(ALERTS / (ingestMs / 1000))}/s over 3 instances); ` +
      `events sent ${events.length} (coalesced and resolved-before-delivery spared the rest), repeats after kills ${repeats}; ` +
      `requests retried on another instance ${retriedRequests}; busiest ${windowMs / 1000} s: ${busiest} events (bound ${bound}); all matched after ${drainedMs} ms; kills of instances ${kills.map((k) => k.index).join(', ')}`,
  );
});
