import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig, ConfigError } from './load.ts';

const base = {
  sources: { app: { type: 'alerts', token: 'app-source-token-0123456789' } },
  destinations: { oncall: { type: 'incident_io_alert_source', alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token: 'x' } },
};

const problems = (doc: Record<string, unknown>) => {
  try {
    buildConfig({ ...base, ...doc }, {}, '/');
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
};

test('time_intervals, inhibit_rules and the routes’ interval names compile', () => {
  const c = buildConfig(
    {
      ...base,
      time_intervals: [{ name: 'night', time_intervals: [{ times: [{ start_time: '22:00', end_time: '24:00' }], weekdays: ['monday:friday'], location: 'Europe/Berlin' }] }],
      inhibit_rules: [{ source_matchers: ['alertname="NodeDown"'], target_matchers: 'severity=~"warning|info"', equal: ['instance'] }],
      routes: [{ to: ['oncall'], mute_time_intervals: ['night'], active_time_intervals: ['night'] }],
    },
    {},
    '/',
  );
  assert.deepEqual([...c.mute.intervals.keys()], ['night']);
  assert.equal(c.mute.inhibitRules.length, 1);
  assert.deepEqual(c.mute.inhibitRules[0]!.target.map((m) => m.op), ['=~']);
  assert.deepEqual([c.routes[0]!.muteTimeIntervals, c.routes[0]!.activeTimeIntervals], [['night'], ['night']]);
  assert.equal(buildConfig(base, {}, '/').mute.inhibitRules.length, 0);
});

test('mistakes are reported with their key paths, all at once', () => {
  assert.deepEqual(
    problems({
      time_intervals: [
        { name: 'a', time_intervals: [{ times: [{ start_time: '25:00', end_time: '26:00' }] }] },
        { name: 'a', time_intervals: [{ location: 'Nowhere/Town' }] },
      ],
      inhibit_rules: [{ source_matchers: ['alertname'], target_matchers: ['x="y"'] }],
      routes: [{ to: ['oncall'], active_time_intervals: ['b'] }],
    }),
    [
      'time_intervals[0].time_intervals[0].times[0].start_time: must be HH:MM (00:00 to 23:59)',
      'time_intervals[1].name: "a" is defined twice',
      'time_intervals[1].time_intervals[0].location: unknown time zone "Nowhere/Town" (an IANA name such as Europe/Berlin, or UTC)',
      'inhibit_rules[0].source_matchers: "alertname" is not a matcher: write name=value, name!=value, name=~regex or name!~regex',
      'routes[0].active_time_intervals[0]: unknown time interval "b" (defined under time_intervals: a)',
    ],
  );
  assert.match(problems({ time_intervals: [{ name: 'x', time_intervals: [{ days: ['1'] }] }] })[0]!, /^time_intervals\.0\.time_intervals\.0: unknown key\(s\): days/);
});
