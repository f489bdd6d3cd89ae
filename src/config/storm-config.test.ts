import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig, ConfigError } from './load.ts';

/** `storm:` sits beside every destination type's own keys, and is validated with key paths like them. */
const doc = (storm?: unknown) => ({
  destinations: {
    oncall: { type: 'incident_io_alert_source', alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token: 'x'.repeat(20), ...(storm === undefined ? {} : { storm }) },
    incidents: { type: 'incident_io_incidents', api_key: 'k'.repeat(20), severity: { critical: 'Critical', error: 'Major', warning: 'Minor' } },
  },
});

test('storm mode is on by default for every destination: 2 minutes of backlog, updates at most every 30 s', () => {
  const c = buildConfig(doc(), {}, '/tmp');
  const defaults = { enabled: true, afterMs: 120_000, updateIntervalMs: 30_000, groupBy: ['alertname', 'service', 'team'] };
  assert.deepEqual(c.destinations.get('oncall')!.storm, defaults);
  assert.deepEqual(c.destinations.get('incidents')!.storm, defaults);
  assert.equal('storm' in c.destinations.get('oncall')!.config, false, "not part of the destination type's own settings");
});

test('storm settings per destination', () => {
  const c = buildConfig(doc({ after: '5m', update_interval: 60, enabled: false, group_by: ['namespace'] }), {}, '/tmp');
  assert.deepEqual(c.destinations.get('oncall')!.storm, { enabled: false, afterMs: 300_000, updateIntervalMs: 60_000, groupBy: ['namespace'] });
});

test('a wrong storm setting names its key path', () => {
  for (const [storm, expected] of [
    [{ after: 'soon' }, /^destinations\.oncall\.storm\.after: must be a duration/],
    [{ after: '500ms' }, /^destinations\.oncall\.storm\.after: must be at least 1s/],
    [{ enable: false }, /^destinations\.oncall\.storm: unknown key\(s\): enable/],
  ] as const) {
    try {
      buildConfig(doc(storm), {}, '/tmp');
      assert.fail('expected a config error');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.ok(
        e.problems.some((p) => expected.test(`${p.path}: ${p.message}`)),
        JSON.stringify(e.problems),
      );
    }
  }
});
