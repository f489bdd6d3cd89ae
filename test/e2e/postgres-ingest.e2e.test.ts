/**
 * Ingest on PostgreSQL from several instances at once, the way senders really hit a cluster behind a load balancer:
 * the same alert arriving at two instances in the same moment (Alertmanager's HA pair does exactly that), and text
 * PostgreSQL cannot store as given (a NUL character), which SQLite took without a word.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { freshPostgres } from '../postgres.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function cluster(n: number): Promise<{ emu: Emulator; instances: TocsinProcess[] }> {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const db = await freshPostgres();
  cleanups.push(() => db.drop());
  const dir = tempDir();
  const instances: TocsinProcess[] = [];
  for (let i = 0; i < n; i++) {
    const port = await freePort();
    const t = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { storage: { postgres: db.url }, delivery: { poll_interval: '100ms' } }), `t${i}.yaml`), { port });
    cleanups.push(() => t.kill('SIGKILL'));
    instances.push(t);
  }
  return { emu, instances };
}

test('the same alert at two instances at once, 20 times over: one alert, every event counted, no 5xx', async () => {
  const { emu, instances } = await cluster(2);
  const body = { title: 'Replica lag', dedup_key: 'replica-lag', severity: 'critical' };
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => http('POST', `${instances[i % 2]!.url}/ingest/app`, { token: APP_TOKEN, body })));
  assert.deepEqual([...new Set(answers.map((r) => r.status))], [202]);
  const results = answers.map((r) => r.body.results[0].result).sort();
  assert.equal(results.filter((r) => r === 'created').length, 1, `one created, the rest continue it: ${results.join(',')}`);
  const alerts = (await http('GET', `${instances[0]!.url}/api/v1/alerts`, { token: ADMIN_TOKEN })).body.alerts;
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].event_count, 20, 'no event lost to a concurrent update');
  await waitFor('delivered', async () => (await emu.alerts()).length === 1);
  // Both resolve it at once too: one resolve, delivered once.
  const resolves = await Promise.all(instances.map((t) => http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { ...body, status: 'resolved' } })));
  assert.deepEqual(resolves.map((r) => r.status), [202, 202]);
  assert.deepEqual(resolves.map((r) => r.body.results[0].result).sort(), ['resolved', 'unchanged']);
  await waitFor('resolved in incident.io', async () => (await emu.alerts())[0]?.status === 'resolved');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await emu.requests()).filter((r) => r.body?.status === 'resolved').length, 1, 'one resolve sent');
});

test('a NUL character in a title, key or description is stored (as U+FFFD) and the alert resolves by the same key', async () => {
  const { emu, instances } = await cluster(1);
  const t = instances[0]!;
  const event = { title: 'disk\u0000full', dedup_key: 'host\u00001', description: 'a\u0000b', metadata: { note: 'x\u0000y' } };
  const fired = await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: event });
  assert.equal(fired.status, 202, JSON.stringify(fired.body));
  await waitFor('delivered', async () => (await emu.alerts()).length === 1);
  const [alert] = await emu.alerts();
  assert.equal(alert.title, 'disk\uFFFDfull');
  const resolved = await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { ...event, status: 'resolved' } });
  assert.equal(resolved.body.results[0].result, 'resolved');
  await waitFor('resolved', async () => (await emu.alerts())[0]?.status === 'resolved');
});
