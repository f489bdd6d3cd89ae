/**
 * Time intervals (issue 9, docs/silences.md): a route's mute_time_intervals hold its destinations inside the interval,
 * active_time_intervals outside it. The intervals are computed from now, in a time zone other than UTC.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig } from '../harness.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const ZONE = 'Asia/Kolkata'; // UTC+05:30: a half-hour offset, so a zone mix-up cannot pass by luck
const CHAT = { id: '01GW2G3V0S59R238FAHPDS1R70', token: 'chat-source-token-0123456789' };
const PAGER = { id: '01GW2G3V0S59R238FAHPDS1R71', token: 'pager-source-token-0123456789' };

/** HH:MM in the zone, `minutes` from now. */
function hhmm(minutes: number): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(Date.now() + minutes * 60_000);
  return `${parts.find((p) => p.type === 'hour')!.value}:${parts.find((p) => p.type === 'minute')!.value}`;
}

test('a maintenance window mutes its route; a route in its active hours delivers; the window keeps the transition', async () => {
  // Keep clear of midnight in the zone (an interval cannot wrap it) and of a minute that ends within the test.
  const start = hhmm(-5);
  const end = hhmm(10);
  if (end <= start) return; // the test runs in the 15 minutes around midnight in Kolkata: nothing to check
  const emu = await Emulator.start({ alertSources: [CHAT, PAGER] });
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const dest = (s: typeof CHAT) => ({ type: 'incident_io_alert_source', alert_source_config_id: s.id, token: s.token, base_url: emu.url });
  const config = writeConfig(
    dir,
    gatewayConfig(emu, dir, port, {
      destinations: { chat: dest(CHAT), pager: dest(PAGER) },
      delivery: { poll_interval: '100ms', retry_base_delay: '100ms' },
      time_intervals: [
        { name: 'maintenance', time_intervals: [{ times: [{ start_time: start, end_time: end }], location: ZONE }] },
        { name: 'office', time_intervals: [{ times: [{ start_time: start, end_time: end }], weekdays: ['sunday:saturday'], location: ZONE }] },
      ],
      routes: [
        { match: { team: 'db' }, to: ['pager'], mute_time_intervals: ['maintenance'], continue: true },
        { to: ['chat'], active_time_intervals: ['office'] },
      ],
    }),
  );
  const t = await startTocsin(config, { port });
  cleanups.push(() => t.kill('SIGKILL'));
  const events = async (s: typeof CHAT) => (await emu.requests(`/v2/alert_events/http/${s.id}`)).filter((r) => r.status === 202).map((r) => r.body.status as string);

  const r = await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Replica lag', dedup_key: 'lag', metadata: { team: 'db' } } });
  assert.equal(r.status, 202);
  await waitFor('chat (in its active hours) delivered', async () => (await events(CHAT)).length === 1);
  await new Promise((res) => setTimeout(res, 500));
  assert.deepEqual(await events(PAGER), [], 'the pager route is in its maintenance window');
  const view = (await http('GET', `${t.url}/api/v1/alerts/${r.body.results[0].id}`, { token: ADMIN_TOKEN })).body;
  assert.equal(view.alert.state, 'firing');
  assert.deepEqual(view.alert.muted, { by: 'interval', interval: 'maintenance', kind: 'mute_time_intervals', destinations: ['pager'] });
  const muted = view.deliveries.find((d: { destination: string }) => d.destination === 'pager');
  assert.equal(muted.status, 'muted');

  // Resolved inside the window: the pager never hears of it; chat gets the resolve.
  await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Replica lag', dedup_key: 'lag', status: 'resolved', metadata: { team: 'db' } } });
  await waitFor('chat resolved', async () => (await events(CHAT)).includes('resolved'));
  assert.deepEqual(await events(PAGER), []);
});

test('check-config names an unknown interval and a bad field with their key paths', async () => {
  const dir = tempDir();
  const emu = { url: 'http://127.0.0.1:9', source: { id: 'x', token: 'y' } } as unknown as Emulator;
  const config = writeConfig(
    dir,
    gatewayConfig(emu, dir, 1, {
      time_intervals: [{ name: 'weekend', time_intervals: [{ weekdays: ['saturday:sundae'] }] }],
      routes: [{ to: ['oncall'], mute_time_intervals: ['weekends'] }],
    }),
  );
  const { spawnSync } = await import('node:child_process');
  const { CLI, ROOT } = await import('../harness.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'check-config', '--config', config], { cwd: ROOT, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  const out = r.stdout + r.stderr;
  assert.match(out, /routes\[0\]\.mute_time_intervals\[0\].*unknown time interval "weekends"/);
  assert.match(out, /time_intervals\[0\]\.time_intervals\[0\]\.weekdays\[0\]/);
});

test('an escalation step that comes due while silenced is recorded, held, and sent with the first step when the silence is expired', async () => {
  const emu = await Emulator.start({ alertSources: [CHAT, PAGER] });
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const dest = (s: typeof CHAT) => ({ type: 'incident_io_alert_source', alert_source_config_id: s.id, token: s.token, base_url: emu.url });
  const config = writeConfig(
    dir,
    gatewayConfig(emu, dir, port, {
      destinations: { chat: dest(CHAT), pager: dest(PAGER) },
      delivery: { poll_interval: '100ms', retry_base_delay: '100ms' },
      routes: [{ escalation: [{ notify: ['chat'] }, { after: '1500ms', to: ['pager'] }] }],
    }),
  );
  const t = await startTocsin(config, { port });
  cleanups.push(() => t.kill('SIGKILL'));
  const events = async (s: typeof CHAT) => (await emu.requests(`/v2/alert_events/http/${s.id}`)).filter((r) => r.status === 202).map((r) => r.body.status as string);
  const s = await http('POST', `${t.url}/api/v1/silences`, { token: ADMIN_TOKEN, body: { matchers: ['team="payments"'], duration: '1h', created_by: 'kim', comment: 'deploy' } });
  assert.equal(s.status, 201);
  const r = await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Payments 5xx', dedup_key: 'pay', metadata: { team: 'payments' } } });
  const id = r.body.results[0].id;
  await waitFor('the step fired (recorded)', async () => {
    const d = (await http('GET', `${t.url}/api/v1/alerts/${id}`, { token: ADMIN_TOKEN })).body;
    return d.escalations[0]?.status === 'fired' && d.deliveries.length === 2 ? d : undefined;
  });
  const detail = (await http('GET', `${t.url}/api/v1/alerts/${id}`, { token: ADMIN_TOKEN })).body;
  assert.deepEqual(detail.deliveries.map((d: { destination: string; status: string }) => [d.destination, d.status]).sort(), [['chat', 'muted'], ['pager', 'muted']]);
  assert.deepEqual([await events(CHAT), await events(PAGER)], [[], []]);
  await http('DELETE', `${t.url}/api/v1/silences/${s.body.silence.id}`, { token: ADMIN_TOKEN });
  await waitFor('both delivered once the silence is expired', async () => (await events(CHAT)).length === 1 && (await events(PAGER)).length === 1);
});
