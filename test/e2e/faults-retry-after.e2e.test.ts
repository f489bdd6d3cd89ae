/**
 * An over-long Retry-After (issue 13): one 429 with `Retry-After: 31536000` (a year) used to stall the destination
 * for a year, overflow setTimeout into a busy loop (a TimeoutOverflowWarning every millisecond) and schedule the row
 * past max_retry_age, where it was never dead-lettered. Now the wait is capped at delivery.max_retry_after (10 min by
 * default), logged once per episode, and a row whose next attempt would fall past max_retry_age is dead-lettered at
 * once with a hint.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

const A_YEAR_S = 31_536_000;
const TEN_MIN = 600_000;

let emu: Emulator;
const running: TocsinProcess[] = [];

before(async () => {
  emu = await Emulator.start();
});
after(async () => {
  for (const t of running) await t.kill('SIGKILL');
  await emu.close();
});

async function start(delivery: Record<string, unknown>): Promise<TocsinProcess> {
  await emu.reset();
  const dir = tempDir();
  const port = await freePort();
  const t = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { delivery: { poll_interval: '200ms', ...delivery } })), { port });
  running.push(t);
  return t;
}

async function ingest(t: TocsinProcess, key: string): Promise<string> {
  const r = await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: `Replica lag ${key}`, dedup_key: key } });
  assert.equal(r.status, 202, r.text);
  return r.body.results[0].id;
}

const delivery = async (t: TocsinProcess, alertId: string) =>
  (await http('GET', `${t.url}/api/v1/deliveries?alert_id=${alertId}`, { token: ADMIN_TOKEN })).body.deliveries[0];

/**
 * Several sends answered 429 together: held at the emulator's gate until all are waiting, then each gets a fault.
 * (One at a time would not work: the first 429 pauses the whole destination.)
 */
async function answeredTogether(t: TocsinProcess, keys: string[], retryAfter: (i: number) => number | string): Promise<string[]> {
  await emu.pause();
  const ids: string[] = [];
  for (const key of keys) ids.push(await ingest(t, key));
  await waitFor('the sends to wait at the gate', async () => (await http('GET', `${emu.url}/_emulator/status`)).body.waiting_requests === keys.length);
  for (let i = 0; i < keys.length; i++) await emu.fault({ path_prefix: '/v2/alert_events', count: 1, status: 429, retry_after: retryAfter(i) });
  await emu.resume();
  return ids;
}

/** CPU seconds (user + system) the process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (1-based) → indexes 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe('Retry-After of a year, default cap (10 min)', () => {
  let t: TocsinProcess;
  let ids: string[];
  let answeredAt: number;
  before(async () => {
    t = await start({ concurrency: 4 });
    ids = await answeredTogether(t, ['year-1', 'year-2', 'year-3'], () => A_YEAR_S);
    answeredAt = Date.now();
  });

  test('each delivery is retried 10 minutes later, not a year later', async () => {
    for (const id of ids) {
      const d = await waitFor('the 429 to be recorded', async () => {
        const row = await delivery(t, id);
        return row?.status === 'pending' && row.attempts === 1 ? row : undefined;
      });
      assert.equal(d.last_status_code, 429);
      const inMs = Date.parse(d.next_attempt_at) - answeredAt;
      assert.ok(inMs > TEN_MIN - 5_000 && inMs <= TEN_MIN + 5_000, `next attempt in ${Math.round(inMs / 1000)} s`);
    }
  });

  test('the loop sleeps while the destination is paused: no timer overflow, almost no CPU', async () => {
    const pid = t.proc.pid!;
    const cpuBefore = cpuSeconds(pid);
    const wallBefore = performance.now();
    await new Promise((r) => setTimeout(r, 3000));
    const share = (cpuSeconds(pid) - cpuBefore) / ((performance.now() - wallBefore) / 1000);
    console.log(`tocsin CPU while paused by a year-long Retry-After: ${(share * 100).toFixed(1)} %`);
    assert.ok(share < 0.1, `tocsin used ${(share * 100).toFixed(1)} % CPU while it had nothing to do`);
    assert.deepEqual(t.output.filter((l) => /TimeoutOverflowWarning/.test(l)), []);
    const attempts = (await emu.requests()).length;
    assert.equal(attempts, 3, 'nothing was sent while paused');
  });

  test('the capping is logged once for the episode, not once per answer or per loop', async () => {
    const lines = await waitFor('the warning', () => {
      const found = t.output.filter((l) => l.includes('(delivery.max_retry_after)'));
      return found.length > 0 ? found : undefined;
    });
    assert.equal(lines.length, 1, lines.join('\n'));
    const line = JSON.parse(lines[0]!);
    assert.equal(line.destination, 'oncall');
    assert.equal(line.retry_after_ms, A_YEAR_S * 1000);
    assert.match(line.msg, /asked to wait 365 d \(Retry-After\); waiting 10 min instead/);
  });
});

describe('Retry-After past max_retry_age', () => {
  test('dead-lettered at once with a hint, whether the wait is given in seconds or as an HTTP date', async () => {
    const t = await start({ max_retry_age: '5m' });
    const aYearFromNow = new Date(Date.now() + A_YEAR_S * 1000).toUTCString();
    const ids = await answeredTogether(t, ['late-seconds', 'late-date'], (i) => (i === 0 ? A_YEAR_S : aYearFromNow));
    for (const id of ids) {
      const d = await waitFor('the delivery to be dead-lettered', async () => {
        const row = await delivery(t, id);
        return row?.status === 'dead' ? row : undefined;
      });
      assert.equal(d.attempts, 1);
      assert.equal(d.last_status_code, 429);
      assert.match(d.hint, /^Gave up: incident\.io asked to wait 36[45](\.\d)? d \(Retry-After\), past delivery\.max_retry_age \(5 min after it was queued\)\. Retry it once the destination accepts again\.$/);
    }
    assert.deepEqual(t.output.filter((l) => /TimeoutOverflowWarning/.test(l)), []);
  });
});

describe('delivery.max_retry_after set in the config', () => {
  test('a Retry-After of a year is waited 2 s, then the alert is delivered', async () => {
    const t = await start({ max_retry_after: '2s' });
    const [id] = await answeredTogether(t, ['capped-2s'], () => A_YEAR_S);
    const d = await waitFor('the retry after the configured cap', async () => {
      const row = await delivery(t, id!);
      return row?.status === 'delivered' ? row : undefined;
    }, 15_000);
    assert.equal(d.attempts, 2);
    const line = t.output.find((l) => l.includes('(delivery.max_retry_after)'));
    assert.ok(line, 'the capping is logged');
    assert.match(JSON.parse(line).msg, /waiting 2 s instead/);
  });
});
