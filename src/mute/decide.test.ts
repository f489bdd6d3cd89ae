import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileMatcher } from '../routing/matchers.ts';
import type { Route } from '../routing/routes.ts';
import { decodeReason, encodeReason, muteReason, type MuteRules, type MuteState } from './decide.ts';
import { inhibitedBy, type InhibitRule } from './inhibit.ts';
import { parseMatchers } from './matchers.ts';
import { parseTimeInterval } from './time-intervals.ts';

const ms = (t: string) => {
  const r = parseMatchers(t);
  if (!r.ok) throw new Error(r.message);
  return r.matchers;
};
const interval = (start: string, end: string) => {
  const r = parseTimeInterval({ times: [{ start_time: start, end_time: end }] });
  if (!r.ok) throw new Error(r.message);
  return [r.value];
};
const NOON = Date.parse('2026-12-02T12:00:00Z');

test('inhibition: source and target matchers, equal labels, never itself', () => {
  const rules: InhibitRule[] = [{ source: ms('severity="critical"'), target: ms('severity=~"warning|critical"'), equal: ['cluster'] }];
  const src = { id: 'S', labels: { severity: ['critical'], cluster: ['eu'] } };
  assert.equal(inhibitedBy(rules, [src], { id: 'T', labels: { severity: ['warning'], cluster: ['eu'] } }), 'S');
  assert.equal(inhibitedBy(rules, [src], { id: 'T', labels: { severity: ['warning'], cluster: ['us'] } }), undefined);
  assert.equal(inhibitedBy(rules, [src], { id: 'T', labels: { severity: ['info'], cluster: ['eu'] } }), undefined);
  // Matching both sides: another critical alert of the cluster inhibits it, itself does not.
  assert.equal(inhibitedBy(rules, [src], src), undefined);
  assert.equal(inhibitedBy(rules, [src], { id: 'C2', labels: { severity: ['critical'], cluster: ['eu'] } }), 'S');
  // `equal` on a label both lack: equal (empty), as in Alertmanager.
  assert.equal(inhibitedBy(rules, [{ id: 'S', labels: { severity: ['critical'] } }], { id: 'T', labels: { severity: ['warning'] } }), 'S');
});

test('muteReason: silence first, then inhibition, then the routes’ time intervals per destination', () => {
  const routes: Route[] = [
    { matchers: [compileMatcher('team', '=', 'db')], to: ['pager'], continue: true, muteTimeIntervals: ['lunch'] },
    { matchers: [], to: ['chat', 'pager'], continue: false, activeTimeIntervals: ['night'] },
  ];
  const rules: MuteRules = { intervals: new Map([['lunch', interval('11:00', '13:00')], ['night', interval('22:00', '24:00')]]), inhibitRules: [] };
  const none: MuteState = { silences: [], inhibitors: new Map() };
  const db = { id: 'A', labels: { team: ['db'] }, routeOverride: null };
  // pager is reached by two routes: muted only when both are (lunch mutes the first, the second is outside night).
  assert.deepEqual(muteReason(routes, rules, none, db, 'pager', NOON), { by: 'interval', interval: 'lunch', kind: 'mute_time_intervals' });
  assert.equal(muteReason(routes, rules, none, db, 'pager', Date.parse('2026-12-02T22:30:00Z')), undefined);
  assert.deepEqual(muteReason(routes, rules, none, db, 'chat', NOON), { by: 'interval', interval: 'night', kind: 'active_time_intervals' });
  // A destination the sender named: no route's interval applies.
  assert.equal(muteReason(routes, rules, none, { ...db, routeOverride: 'chat' }, 'chat', NOON), undefined);

  const silenced: MuteState = { silences: [{ id: 'sil', matchers: ms('team="db"'), startsAt: NOON - 1, endsAt: NOON + 1 }], inhibitors: new Map() };
  assert.deepEqual(muteReason(routes, rules, silenced, db, 'pager', NOON), { by: 'silence', silence_id: 'sil' });
  assert.deepEqual(muteReason(routes, rules, silenced, db, 'pager', NOON + 1), { by: 'interval', interval: 'lunch', kind: 'mute_time_intervals' });
  const pendingSilence: MuteState = { silences: [{ id: 'sil', matchers: ms('team="db"'), startsAt: NOON + 10, endsAt: NOON + 20 }], inhibitors: new Map() };
  assert.equal(muteReason([], rules, pendingSilence, db, 'pager', NOON), undefined);

  const inhibit: MuteRules = { intervals: new Map(), inhibitRules: [{ source: ms('alertname="Down"'), target: ms('alertname!="Down"'), equal: [] }] };
  const state: MuteState = { silences: [], inhibitors: new Map([['D', { id: 'D', labels: { alertname: ['Down'] } }]]) };
  assert.deepEqual(muteReason([], inhibit, state, db, 'pager', NOON), { by: 'inhibition', inhibited_by: 'D' });
});

test('reasons round-trip through the muted_by column', () => {
  for (const r of [
    { by: 'silence', silence_id: '01J' },
    { by: 'inhibition', inhibited_by: '01K' },
    { by: 'interval', interval: 'lunch', kind: 'mute_time_intervals' },
    { by: 'interval', interval: 'a,b', kind: 'active_time_intervals' },
  ] as const) {
    assert.deepEqual(decodeReason(encodeReason(r)), r);
  }
});
