/**
 * Several instances on one PostgreSQL (issue 11): each destination has one sender at a time. A sender that is
 * killed is replaced at once (its process is gone); one that freezes is replaced when its lease expires, and when it
 * wakes it is fenced: it writes nothing more for that destination.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { freshPostgres } from '../postgres.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const send = (t: TocsinProcess, body: unknown) => http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body });
const sender = async (t: TocsinProcess) => {
  const view = (await http('GET', `${t.url}/api/v1/cluster`, { token: ADMIN_TOKEN })).body;
  const lease = view.leases.find((l: { name: string }) => l.name === 'destination:oncall');
  return { instance: view.instance as string, holder: lease?.expires_at ? (lease.holder as string) : undefined, epoch: lease?.epoch as number, storage: view.storage };
};
/** Events the emulator accepted, per deduplication key. */
async function acceptedPerKey(emu: Emulator): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const r of await emu.requests()) {
    if (r.status !== 202) continue;
    const key = r.body.deduplication_key as string;
    out.set(key, [...(out.get(key) ?? []), r.body.status]);
  }
  return out;
}

test('two instances: one sender; a frozen sender is taken over at expiry and fenced; a killed one at once', async (t) => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const db = await freshPostgres();
  cleanups.push(() => db.drop());
  const dir = tempDir();
  const start = async () => {
    const port = await freePort();
    const over = { storage: { postgres: db.url }, cluster: { lease_ttl: '2s' }, delivery: { poll_interval: '100ms', retry_base_delay: '100ms' } };
    const t = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, over), `tocsin-${port}.yaml`), { port });
    cleanups.push(() => t.kill('SIGKILL'));
    return t;
  };
  const a = await start();
  const b = await start();

  // Exactly one of them sends, and both say the same.
  const first = await waitFor('a sender', async () => (await sender(a)).holder);
  assert.equal((await sender(b)).holder, first);
  assert.equal((await sender(a)).storage, 'postgres');
  const [holder, standby] = (await sender(a)).instance === first ? [a, b] : [b, a];

  // Alerts come in on both; each reaches incident.io once.
  for (let i = 0; i < 20; i++) assert.equal((await send(i % 2 ? a : b, { title: `disk ${i}`, dedup_key: `disk-${i}` })).status, 202);
  await waitFor('20 alerts', async () => (await emu.alerts()).length === 20, 15_000);
  let accepted = await acceptedPerKey(emu);
  assert.equal(accepted.size, 20);
  assert.ok([...accepted.values()].every((v) => v.length === 1), 'no alert sent twice');

  // The sender freezes (alive, but silent): the standby takes over once the lease expires.
  holder.proc.kill('SIGSTOP');
  const stoppedAt = Date.now();
  await send(standby, { title: 'while frozen', dedup_key: 'frozen' });
  await waitFor('the standby to send', async () => (await emu.alerts()).some((x) => x.deduplication_key === 'app:frozen'), 15_000);
  const takeoverMs = Date.now() - stoppedAt;
  const after1 = await sender(standby);
  assert.equal(after1.holder, after1.instance, 'the standby holds the lease now');
  assert.ok(takeoverMs >= 1000, `took over only after the lease expired (${takeoverMs} ms)`);
  assert.ok(takeoverMs < 8000, `took over within seconds (${takeoverMs} ms)`);

  // The frozen one wakes: it finds itself taken over and stops acting (no second sender).
  holder.proc.kill('SIGCONT');
  await waitFor('the woken instance to notice', () => holder.output.some((l) => l.includes('lost destination:oncall')), 10_000);
  await send(holder, { title: 'after waking', dedup_key: 'woken', severity: 'critical' });
  await send(holder, { title: 'disk 3', dedup_key: 'disk-3', status: 'resolved' });
  await waitFor('both to be delivered', async () => {
    const x = await acceptedPerKey(emu);
    return x.get('app:woken')?.length === 1 && x.get('app:disk-3')?.length === 2;
  });
  assert.equal((await sender(holder)).holder, after1.instance, 'still one sender: the one that took over');

  // The sender is killed: the other instance (same machine, the process is gone) takes over without waiting.
  standby.proc.kill('SIGKILL');
  const killedAt = Date.now();
  await send(holder, { title: 'after the kill', dedup_key: 'killed' });
  await waitFor('delivered by the survivor', async () => (await emu.alerts()).some((x) => x.deduplication_key === 'app:killed'), 10_000);
  const afterKill = await sender(holder);
  assert.equal(afterKill.holder, afterKill.instance);
  assert.ok(afterKill.epoch > after1.epoch, 'a takeover raises the fencing epoch');
  assert.ok(Date.now() - killedAt < 2000, `took over before the 2 s lease expired (${Date.now() - killedAt} ms)`);

  t.diagnostic(`takeover of a frozen sender: ${takeoverMs} ms (lease_ttl 2 s); of a killed one: ${Date.now() - killedAt} ms`);
  accepted = await acceptedPerKey(emu);
  assert.equal(accepted.size, 23);
  for (const [key, events] of accepted) assert.deepEqual(events, key === 'app:disk-3' ? ['firing', 'resolved'] : ['firing'], key);
  assert.equal((await emu.requests()).filter((r) => r.status === 429).length, 0);
});

test('a destination one instance lacks (a rolling config change): its orphaned rows are taken back by the instance that has it', async () => {
  const ONCALL = { id: '01GW2G3V0S59R238FAHPDS1R66', token: 'oncall-source-token-0123456789' };
  const BACKUP = { id: '01GW2G3V0S59R238FAHPDS1R67', token: 'backup-source-token-0123456789' };
  const emu = await Emulator.start({ alertSources: [ONCALL, BACKUP] });
  cleanups.push(() => emu.close());
  const db = await freshPostgres();
  cleanups.push(() => db.drop());
  const dir = tempDir();
  const dest = (s: typeof ONCALL) => ({ type: 'incident_io_alert_source', alert_source_config_id: s.id, token: s.token, base_url: emu.url });
  const start = async (destinations: Record<string, unknown>) => {
    const port = await freePort();
    const over = { storage: { postgres: db.url }, cluster: { lease_ttl: '2s' }, destinations, delivery: { poll_interval: '100ms', retry_base_delay: '100ms' } };
    const t = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, over), `tocsin-${port}.yaml`), { port });
    cleanups.push(() => t.kill('SIGKILL'));
    return t;
  };
  const api = (t: TocsinProcess, path: string) => http('GET', `${t.url}/api/v1${path}`, { token: ADMIN_TOKEN });

  // The backup source fails for now: its row waits in the queue.
  await http('POST', `${emu.url}/_emulator/faults`, { body: { path_prefix: `/v2/alert_events/http/${BACKUP.id}`, count: 100_000, status: 503, retry_after: 1 } });
  const full = await start({ oncall: dest(ONCALL), backup: dest(BACKUP) });
  assert.equal((await send(full, { title: 'Disk full', dedup_key: 'disk' })).status, 202);
  await waitFor('the backup attempt to fail', async () => (await emu.requests(`/v2/alert_events/http/${BACKUP.id}`)).length > 0);

  // An instance started with an older config, without `backup`, orphans that row at its start.
  const partial = await start({ oncall: dest(ONCALL) });
  const orphaned = await waitFor('the row orphaned', async () => {
    const rows = (await api(partial, '/deliveries?status=orphaned')).body.deliveries;
    return rows.length ? rows : undefined;
  });
  assert.equal(orphaned[0].destination, 'backup');

  // The instance that has `backup` (and sends for it) takes the row back; once the source recovers it is delivered.
  await http('DELETE', `${emu.url}/_emulator/faults`);
  await waitFor('delivered to backup', async () => (await api(full, '/deliveries?status=delivered&destination=backup')).body.deliveries.length === 1, 20_000);
  assert.ok(full.output.some((l) => l.includes('orphaned deliveries of this destination are pending again')));
});

test('escalation timers on two instances: each step fires once, by the holder of the scheduler lease', async () => {
  const CHAT = { id: '01GW2G3V0S59R238FAHPDS1R66', token: 'chat-source-token-0123456789' };
  const ONCALL = { id: '01GW2G3V0S59R238FAHPDS1R67', token: 'oncall-source-token-0123456789' };
  const emu = await Emulator.start({ alertSources: [CHAT, ONCALL] });
  cleanups.push(() => emu.close());
  const db = await freshPostgres();
  cleanups.push(() => db.drop());
  const dir = tempDir();
  const dest = (s: typeof CHAT) => ({ type: 'incident_io_alert_source', alert_source_config_id: s.id, token: s.token, base_url: emu.url });
  const instances: TocsinProcess[] = [];
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const over = {
      storage: { postgres: db.url },
      cluster: { lease_ttl: '2s' },
      destinations: { chat: dest(CHAT), oncall: dest(ONCALL) },
      routes: [{ escalation: [{ notify: 'chat' }, { after: '2s', to: 'oncall' }] }],
      delivery: { poll_interval: '100ms' },
    };
    const t = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, over), `tocsin-${port}.yaml`), { port });
    cleanups.push(() => t.kill('SIGKILL'));
    instances.push(t);
  }
  for (let i = 0; i < 10; i++) assert.equal((await send(instances[i % 2]!, { title: `queue ${i}`, dedup_key: `queue-${i}` })).status, 202);
  const oncallEvents = async () => (await emu.requests(`/v2/alert_events/http/${ONCALL.id}`)).filter((r) => r.status === 202).map((r) => r.body.deduplication_key as string);
  await waitFor('every step', async () => (await oncallEvents()).length >= 10, 15_000);
  await new Promise((r) => setTimeout(r, 1500));
  const keys = await oncallEvents();
  assert.equal(keys.length, 10, 'each alert escalated once');
  assert.equal(new Set(keys).size, 10);
  const view = (await http('GET', `${instances[0]!.url}/api/v1/cluster`, { token: ADMIN_TOKEN })).body;
  const scheduler = view.leases.find((l: { name: string }) => l.name === 'scheduler');
  assert.ok(scheduler?.expires_at, 'one instance holds the scheduler lease');
});
