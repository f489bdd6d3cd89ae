import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DestinationConfig } from '../config/load.ts';
import { alertSourceDestination } from '../destinations/incident-io/alert-source.ts';
import { refreshTargets } from './refresh-task.ts';

const parse = (refresh_after?: unknown) =>
  alertSourceDestination.config.safeParse({ type: 'incident_io_alert_source', alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token: 't', ...(refresh_after !== undefined ? { refresh_after } : {}) });
const ms = (v?: unknown) => {
  const r = parse(v);
  assert.ok(r.success, JSON.stringify(v));
  return (r.data as { refresh_after: number }).refresh_after;
};

test('refresh_after: 24h by default; a duration, milliseconds, 0 or false', () => {
  assert.equal(ms(), 24 * 3_600_000);
  assert.equal(ms('12h'), 12 * 3_600_000);
  assert.equal(ms('2s'), 2000);
  assert.equal(ms(90_000), 90_000);
  assert.equal(ms(0), 0);
  assert.equal(ms(false), 0);
});

test('refresh_after: under 1s, from 48h on, or not a duration is refused, saying why', () => {
  for (const bad of ['48h', '3d', '500ms', 999, 'daily', true, -1]) {
    const r = parse(bad);
    assert.equal(r.success, false, String(bad));
    if (!r.success) assert.match(r.error.issues[0]!.message, /duration|1s|48h|expected/, String(bad));
  }
});

test('refreshTargets: incident.io alert sources with refresh_after on, and their rate limit', () => {
  const d = (name: string, config: Record<string, unknown>): DestinationConfig => ({ name, type: String(config.type), config: config as DestinationConfig['config'] });
  const on = alertSourceDestination.config.parse({ type: 'incident_io_alert_source', alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token: 't' });
  const off = { ...on, refresh_after: 0 };
  assert.deepEqual(refreshTargets([d('oncall', on), d('quiet', off), d('hook', { type: 'webhook', url: 'https://x', secret: 's' })]), [{ name: 'oncall', refreshAfterMs: 86_400_000, perMinute: 120 }]);
});
