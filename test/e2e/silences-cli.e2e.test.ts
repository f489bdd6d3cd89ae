/**
 * `tocsin silence query|add|list|expire` against a running gateway (docs/silences.md): amtool's verbs. Each run of the
 * CLI is a process start, so the checks are few and each does several things.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { tocsin } from './cli-helpers.ts';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig } from '../harness.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

test('tocsin silence query, add, list, expire', async () => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const t = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { delivery: { poll_interval: '100ms' } })), { port });
  cleanups.push(() => t.kill('SIGKILL'));
  const env = { TOCSIN_URL: t.url, TOCSIN_ADMIN_TOKEN: ADMIN_TOKEN, COLUMNS: '200' };
  await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Disk full on db-6', dedup_key: 'db-6', metadata: { team: 'storage', alertname: 'DiskFull' } } });
  await waitFor('delivered', async () => (await emu.requests(`/v2/alert_events/http/${emu.source.id}`)).length === 1);

  const query = await tocsin(['silence', 'query', 'alertname=~"Disk.*"', 'team!=web'], env);
  assert.equal(query.code, 0, query.err);
  assert.match(query.out, /Disk full on db-6/);
  assert.match(query.out, /1 active alert\(s\) would be silenced/);

  const add = await tocsin(['silence', 'add', 'alertname=~"Disk.*"', '--duration', '2h', '--comment', 'disk swap', '--author', 'kim', '--json'], env);
  assert.equal(add.code, 0, add.err);
  const id = JSON.parse(add.out).silence.id as string;
  const list = await tocsin(['silence', 'list'], env);
  assert.match(list.out, new RegExp(`${id}\\s+active\\s+alertname=~"Disk\\.\\*"`));
  assert.match(list.out, /kim/);

  const bad = await tocsin(['silence', 'add', 'alertname', '--comment', 'x'], env);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /matchers/);

  const expire = await tocsin(['silence', 'expire', id], env);
  assert.equal(expire.code, 0, expire.err);
  assert.match(expire.out, new RegExp(`silence ${id} is expired`));
  const silences = (await http('GET', `${t.url}/api/v1/silences?state=expired`, { token: ADMIN_TOKEN })).body.silences;
  assert.deepEqual(silences.map((s: { id: string; created_by: string }) => [s.id, s.created_by]), [[id, 'kim']]);
});
