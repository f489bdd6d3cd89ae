/**
 * Storm mode (issue 13, DESIGN.md): 5,000 alerts into an incident.io alert source that takes 120 events a minute.
 * The on-call engineer sees one summary within seconds, the criticals next (though they arrived last), never a
 * 429, and the summary resolves once the backlog has drained — through a kill -9 in the middle, without a second
 * summary. To keep the file short, most alerts are resolved again, so the queue drains by coalescing instead of
 * taking 40 minutes of sends.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const STORM_KEY = 'tocsin:storm:oncall';
const TOTAL = 5_000;
const BATCH = 500;
const CRITICALS = 20;

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Early batches: warnings, infos and some errors; the criticals come last, behind 4,980 queued alerts. */
function alert(i: number, status: 'firing' | 'resolved' = 'firing') {
  const critical = i >= TOTAL - CRITICALS;
  const severity = critical ? 'critical' : (['warning', 'info', 'warning', 'error'] as const)[i % 4]!;
  const title = critical ? `Payments DB replica ${i} down` : `Pod not ready (${['ingest', 'batch', 'web'][i % 3]})`;
  return { title, dedup_key: `a-${i}`, severity, status, metadata: { team: i % 2 ? 'data' : 'platform' } };
}

const ingest = async (t: TocsinProcess, from: number, to: number, status: 'firing' | 'resolved' = 'firing', skip = (_i: number) => false) => {
  for (let start = from; start < to; start += BATCH) {
    const body = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++) if (!skip(i)) body.push(alert(i, status));
    const r = await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body });
    assert.equal(r.status, 202, r.text);
  }
};

const metric = async (t: TocsinProcess, line: RegExp) => {
  const m = line.exec((await http('GET', `${t.url}/metrics`)).text);
  return m ? Number(m[1]) : undefined;
};

const keyOf = (r: any): string => r.body?.deduplication_key;
const severityOf = (r: any): string => r.body?.metadata?.tocsin_severity;

test('5,000 alerts into a 120/min source: summary within seconds, criticals first, no 429, summary resolved after the drain', async (t) => {
  const emu = await Emulator.start({ alertEventsPerMinute: 120 });
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  // The destination keeps its defaults (120/min, storm after 2 min of backlog = 240 queued); updates every 10 s so
  // the test sees one.
  const base = gatewayConfig(emu, dir, port, { delivery: { poll_interval: '100ms' } });
  const config = { ...base, destinations: { oncall: { ...base.destinations.oncall, storm: { update_interval: '10s' } } } };
  const path = writeConfig(dir, config);
  let tocsin = await startTocsin(path, { port });
  cleanups.push(() => tocsin.kill());
  const logs = () => `\n--- tocsin ---\n${tocsin.output.slice(-30).join('\n')}`;

  // 1. The storm: the first batch alone is past the bound.
  const started = Date.now();
  await ingest(tocsin, 0, BATCH);
  await ingest(tocsin, BATCH, TOTAL - BATCH);
  await ingest(tocsin, TOTAL - BATCH, TOTAL);
  const allIn = Date.now();
  assert.ok(allIn - started < 20_000, `ingesting 5,000 alerts took ${allIn - started} ms`);

  const summary = await waitFor('the storm summary in incident.io', async () => (await emu.alerts()).find((a) => a.deduplication_key === STORM_KEY), 10_000, 100).catch((e: Error) => {
    throw new Error(`${e.message}${logs()}`);
  });
  const firstSend = (await emu.requests()).find((r) => keyOf(r) === STORM_KEY)!;
  // The first request alone (500 alerts) is past the bound: its storm is decided before anything is sent.
  assert.equal(keyOf((await emu.requests())[0]), STORM_KEY, 'the summary is the first thing incident.io hears of the storm');
  const summaryAfterMs = Date.parse(firstSend.received_at) - started;
  t.diagnostic(`5,000 alerts ingested in ${allIn - started} ms; summary in incident.io ${summaryAfterMs} ms after the first batch`);
  assert.ok(summaryAfterMs < 8_000, `summary arrived ${summaryAfterMs} ms after the first batch`);
  assert.equal(summary.status, 'firing');
  assert.match(summary.title, /^Alert storm: [\d,]+ alerts queued for oncall/);
  assert.ok(summary.metadata.queued > 240, JSON.stringify(summary.metadata));
  assert.equal(summary.metadata.pending_deliveries_url, `http://127.0.0.1:${port}/api/v1/deliveries?destination=oncall&status=pending`);
  // The link people follow from incident.io: the web UI's list of the same rows.
  assert.equal(summary.source_url, `http://127.0.0.1:${port}/ui/deliveries?destination=oncall&status=pending`);
  assert.equal((await http('GET', summary.source_url)).status, 200);
  assert.equal(summary.metadata.by_source.app, summary.metadata.queued);
  // Grouped by the default group_by labels the alerts have (here `team`, from their metadata), and by title.
  assert.deepEqual(summary.metadata.top_label_groups.map((g: any) => Object.keys(g.labels)), [['team'], ['team']]);
  assert.match(summary.metadata.top_groups[0].title, /^Pod not ready/);
  assert.equal(await metric(tocsin, /^tocsin_storm_active\{destination="oncall"\} (\d+)$/m), 1);
  assert.equal(await metric(tocsin, /^tocsin_storms_total\{destination="oncall"\} (\d+)$/m), 1);

  // 2. Criticals, though queued last, go before the thousands of older warnings.
  await waitFor('every critical in incident.io', async () => (await emu.alerts()).filter((a) => a.metadata.tocsin_severity === 'critical').length === CRITICALS, 30_000, 250).catch(
    (e: Error) => {
      throw new Error(`${e.message}${logs()}`);
    },
  );
  const sentSinceAllIn = (await emu.requests()).filter((r) => Date.parse(r.received_at) >= allIn && keyOf(r) !== STORM_KEY);
  const lastCritical = sentSinceAllIn.findLastIndex((r) => severityOf(r) === 'critical');
  const overtaking = sentSinceAllIn.slice(0, lastCritical).filter((r) => severityOf(r) !== 'critical');
  // At most what was already claimed when the last batch committed (the worker's concurrency, 4).
  assert.ok(overtaking.length <= 4, `${overtaking.length} less severe alerts went before the last critical: ${overtaking.map(severityOf).join(', ')}`);

  // 3. kill -9 mid-storm: the restart carries on with the same summary.
  await tocsin.kill('SIGKILL');
  tocsin = await startTocsin(path, { port });
  await waitFor('the storm gauge after the restart', async () => (await metric(tocsin, /^tocsin_storm_active\{destination="oncall"\} (\d+)$/m)) === 1, 10_000, 200);

  // 4. The storm clears: every non-critical alert resolves; queued ones are dropped, sent ones get their resolve.
  await ingest(tocsin, 0, TOTAL, 'resolved', (i) => i >= TOTAL - CRITICALS);
  const resolvedSummary = await waitFor(
    'the summary resolved',
    async () => (await emu.alerts()).find((a) => a.deduplication_key === STORM_KEY && a.status === 'resolved'),
    60_000,
    250,
  ).catch((e: Error) => {
    throw new Error(`${e.message}${logs()}`);
  });
  assert.ok(resolvedSummary);
  await waitFor(
    'the queue empty',
    async () => (await http('GET', `${tocsin.url}/api/v1/deliveries?destination=oncall&status=pending`, { token: ADMIN_TOKEN })).body.deliveries.length === 0,
    30_000,
    250,
  );
  await waitFor('the storm gauge back to 0', async () => (await metric(tocsin, /^tocsin_storm_active\{destination="oncall"\} (\d+)$/m)) === 0, 5_000, 200);

  // 5. What incident.io saw.
  const requests = await emu.requests();
  assert.deepEqual(
    requests.filter((r) => r.status === 429).map((r) => r.seq),
    [],
    'tocsin kept under the rate limit: never a 429',
  );
  const alerts = await emu.alerts();
  assert.equal(alerts.filter((a) => a.deduplication_key === STORM_KEY).length, 1, 'one summary alert in incident.io, through the restart');
  assert.equal(requests.filter((r) => keyOf(r) === STORM_KEY && r.effect === 'alert_created').length, 1);
  const summarySends = requests.filter((r) => keyOf(r) === STORM_KEY && r.body.status === 'firing');
  assert.ok(summarySends.length >= 2, `the summary was updated during the storm (${summarySends.length} sends)`);
  // tocsin's own record of the summary (a real alert of the internal source): written at most once per 10 s.
  const listed = (await http('GET', `${tocsin.url}/api/v1/alerts?source=${encodeURIComponent('tocsin:storm')}`, { token: ADMIN_TOKEN })).body.alerts;
  assert.equal(listed.length, 1);
  const history = (await http('GET', `${tocsin.url}/api/v1/alerts/${listed[0].id}`, { token: ADMIN_TOKEN })).body.transitions as { kind: string; actor: string; at: string }[];
  assert.deepEqual([history[0]!.kind, history.at(-1)!.kind], ['created', 'resolved']);
  assert.ok(history.every((h) => h.actor === 'tocsin'));
  const writes = history.filter((h) => h.kind !== 'resolved').map((h) => Date.parse(h.at));
  const gaps = writes.slice(1).map((at, i) => at - writes[i]!);
  assert.ok(gaps.every((g) => g >= 10_000), `summary written ${gaps.join(', ')} ms apart`);
  // Each write is sent at most once, plus the resend of one left in flight by the kill -9 (same key: collapsed).
  assert.ok(summarySends.length <= writes.length + 1, `${summarySends.length} sends for ${writes.length} writes`);
  const active = alerts.filter((a) => a.status === 'firing');
  assert.deepEqual(
    active.map((a) => a.metadata.tocsin_severity).sort(),
    Array(CRITICALS).fill('critical'),
    'only the criticals are left firing',
  );
  t.diagnostic(`${requests.length} events sent in all; summary written ${writes.length} times while firing (${gaps.join(', ')} ms apart), sent ${summarySends.length} times; ${overtaking.length} less severe alerts overtook a critical`);
  assert.ok(requests.length < 400, `${requests.length} events for 5,000 alerts: queued states coalesced instead of sent`);
});
