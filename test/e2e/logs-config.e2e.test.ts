/**
 * Log rules in the config (issue 10): a query that does not compile fails check-config naming the rule and the column;
 * a reload recompiles the rules, keeps open alerts, and a rule added by it matches from the next request; a stop sends
 * what the rules hold unsent.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { ADMIN_TOKEN, CLI, Emulator, ROOT, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig } from '../harness.ts';

const TOKEN = 'logs-source-token-0123456789';
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

test('check-config: a query that does not compile names the rule and the column, and fails', () => {
  const dir = tempDir();
  const path = writeConfig(dir, {
    sources: { applogs: { type: 'logs', token: TOKEN, rules: [{ name: 'payment-errors', query: 'm.level:error m.service: -"health check"' }] } },
  });
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'check-config', '--config', path], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr + r.stdout, /sources\.applogs\.rules\.0\.query: rule "payment-errors": column 25: /);
});

test('a reload recompiles the rules; a stop sends the matches an alert still held', async () => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const config = (rules: unknown[]) => gatewayConfig(emu, dir, port, { sources: { logs: { type: 'logs', token: TOKEN, rules } }, delivery: { poll_interval: '100ms' } });
  const first = [{ name: 'errors', query: 'm.level:error', threshold: { window: '1h' }, resolve_after_quiet: '2h' }];
  const path = writeConfig(dir, config(first));
  const t = await startTocsin(path, { port });
  cleanups.push(() => t.kill('SIGKILL'));
  const post = (lines: object[]) => http('POST', `${t.url}/ingest/logs`, { token: TOKEN, raw: lines.map((l) => JSON.stringify(l)).join('\n'), headers: { 'content-type': 'application/x-ndjson' } });

  assert.deepEqual((await post([{ message: 'x', level: 'error' }, { message: 'y', level: 'warn' }])).body.results.map((r: any) => r.dedup_key), ['errors']);
  writeFileSync(path, stringify(config([...first, { name: 'warnings', query: 'm.level:warn', threshold: { window: '1h' }, resolve_after_quiet: '2h' }])));
  assert.equal((await http('POST', `${t.url}/-/reload`, { token: ADMIN_TOKEN })).status, 200);
  const after = await post([{ message: 'x', level: 'error' }, { message: 'y', level: 'warn' }, { message: 'z', level: 'error' }]);
  assert.deepEqual(after.body.results.map((r: any) => r.dedup_key), ['warnings'], 'the open errors alert only counts; the new rule fires');
  const rules = (await http('GET', `${t.url}/api/v1/rules`, { token: ADMIN_TOKEN })).body.rules;
  assert.deepEqual(rules.map((r: any) => [r.name, r.matched_total, r.alerts_active]), [['errors', 3, 1], ['warnings', 1, 1]]);

  // The errors alert holds 2 matches for its next update, an hour away: a stop stores them as its update (sent by
  // whichever instance sends next: here this one, restarted).
  await waitFor('the fire delivered', async () => (await emu.requests()).some((r) => r.body?.deduplication_key === 'logs:errors'));
  await t.kill('SIGTERM');
  const again = await startTocsin(path, { port });
  cleanups.push(() => again.kill('SIGKILL'));
  const updates = await waitFor('the update', async () => {
    const sent = (await emu.requests()).filter((r) => r.body?.deduplication_key === 'logs:errors' && r.status === 202);
    return sent.length >= 2 && sent;
  });
  assert.equal(updates.length, 2, 'fired, then the one update stored at stop');
  assert.equal(updates[1].body.metadata.matched, 2);
});

test('an unrouted log rule alert is logged by id only: its title and group value come from log lines', async () => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const dir = tempDir();
  const port = await freePort();
  const secret = 'SECRET-IN-GROUP-4b1d';
  const rules = [{ name: 'logins', query: 'm.event:login_failed', group_by: ['m.user'], title: 'Login failures for {{m.user}}' }];
  const config = gatewayConfig(emu, dir, port, { sources: { logs: { type: 'logs', token: TOKEN, rules } }, routes: [{ match: { source: 'elsewhere' }, to: ['oncall'] }] });
  const t = await startTocsin(writeConfig(dir, config), { port });
  cleanups.push(() => t.kill('SIGKILL'));
  const r = await http('POST', `${t.url}/ingest/logs`, { token: TOKEN, raw: JSON.stringify({ message: 'denied', event: 'login_failed', user: secret }), headers: { 'content-type': 'application/x-ndjson' } });
  assert.equal(r.status, 202, r.text);
  await waitFor('the unrouted warning', () => t.output.some((l) => l.includes('matched no route')));
  assert.ok(!t.output.some((l) => l.includes(secret)));
});
