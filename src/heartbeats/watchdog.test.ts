import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HeartbeatConfig } from '../config/heartbeats-schema.ts';
import type { AlertEvent } from '../domain/alert.ts';
import { splitWatchdogs, withWatchdogResults } from './watchdog.ts';

const hb = (name: string, watchdog: HeartbeatConfig['watchdog']): HeartbeatConfig => ({
  name, everyMs: 300_000, everyText: '5m', graceMs: 0, token: undefined, severity: 'critical', title: name, description: undefined, labels: {}, watchdog, forward: undefined, alert: true,
});
const ev = (key: string, labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing'): AlertEvent => ({ source: 'am', dedupKey: key, status, title: key, metadata: {}, labels });

const config = new Map([
  ['eu', hb('eu', { source: 'am', alertname: 'Watchdog', match: { cluster: 'eu' } })],
  ['us', hb('us', { source: 'am', alertname: 'Watchdog', match: { cluster: 'us' } })],
  ['other', hb('other', { source: 'grafana', alertname: 'Watchdog', match: {} })],
]);

test('firing Watchdogs are pings of the heartbeat whose labels they match; the rest are alerts, in order', () => {
  const events = [ev('cpu', { alertname: 'HighCPU' }), ev('w1', { alertname: 'Watchdog', cluster: 'eu' }), ev('w2', { alertname: 'Watchdog', cluster: 'eu' }), ev('w3', { alertname: 'Watchdog', cluster: 'us' }, 'resolved'), ev('w4', { alertname: 'Watchdog', cluster: 'asia' })];
  const s = splitWatchdogs(config, 'am', events);
  assert.deepEqual(s.alerts.map((e) => e.dedupKey), ['cpu', 'w4'], 'a Watchdog no heartbeat claims is an ordinary alert');
  assert.deepEqual(s.pinged, ['eu'], 'once per request; a resolved Watchdog is no ping');
  assert.deepEqual(s.heartbeatOf, [undefined, 'eu', 'eu', 'us', undefined]);
  const answered = withWatchdogResults({ results: [{ id: 'A', dedup_key: 'cpu', result: 'created' }, { id: 'B', dedup_key: 'w4', result: 'created' }] }, events, s);
  assert.deepEqual(answered.results.map((r: any) => [r.dedup_key, r.result, r.heartbeat]), [
    ['cpu', 'created', undefined],
    ['w1', 'heartbeat', 'eu'],
    ['w2', 'heartbeat', 'eu'],
    ['w3', 'heartbeat', 'us'],
    ['w4', 'created', undefined],
  ]);
});

test('another source, or no heartbeat watching: everything is an alert, the answer untouched', () => {
  const events = [ev('w', { alertname: 'Watchdog', cluster: 'eu' })];
  const s = splitWatchdogs(config, 'prom2', events);
  assert.deepEqual([s.alerts.length, s.pinged], [1, []]);
  const outcome = { results: [{ id: 'A' }] };
  assert.equal(withWatchdogResults(outcome, events, s), outcome);
});
