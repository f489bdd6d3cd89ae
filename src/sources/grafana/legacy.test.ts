import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { contentOf, hashContent } from '../../domain/lifecycle.ts';
import { alertmanagerSource } from '../alertmanager/alertmanager.ts';
import type { ParseContext } from '../types.ts';
import { grafanaSource, type GrafanaOptions } from './grafana.ts';

const sample = (name: string): Record<string, any> => JSON.parse(readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8'));
const ctx = (over: Partial<ParseContext<GrafanaOptions>> = {}): ParseContext<GrafanaOptions> => ({ source: 'grafana', options: { severity_label: 'severity' }, query: {}, ...over });
const events = (body: unknown, over: Partial<ParseContext<GrafanaOptions>> = {}) => {
  const r = grafanaSource.parse(body, ctx(over));
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
};

test('a legacy rule alerting: one alert per rule, tags as labels, rule link, message as description', () => {
  const { events: [e], warnings } = events(sample('legacy-alerting.json'));
  assert.equal(warnings, undefined);
  assert.deepEqual(e, {
    source: 'grafana',
    dedupKey: 'legacy:1:27',
    status: 'firing',
    title: 'Postgres disk usage',
    description: 'Disk on pg-1 is above 90%. Runbook: https://runbooks.example.com/disk',
    severity: 'critical',
    sourceUrl: 'https://grafana.example.com/d/pg0verv1ew/postgres?tab=alert&viewPanel=3&orgId=1',
    labels: { alertname: 'Postgres disk usage', severity: 'critical', team: 'storage' },
    metadata: {
      rule_id: 27,
      rule_name: 'Postgres disk usage',
      state: 'alerting',
      org_id: 1,
      dashboard_id: 14,
      panel_id: 3,
      tags: { severity: 'critical', team: 'storage' },
      eval_matches: [{ value: 93.2, metric: 'disk_used_percent{host="pg-1"}', tags: { host: 'pg-1' } }],
      image_url: 'https://grafana.example.com/public/img/attachments/Xq9cVw3pLk.png',
    },
    volatile: ['eval_matches', 'image_url'],
  });
});

test('back to ok resolves the same alert; a reminder with new values is no update', () => {
  const [firing] = events(sample('legacy-alerting.json')).events;
  const [ok] = events(sample('legacy-ok.json')).events;
  assert.equal(ok!.dedupKey, firing!.dedupKey);
  assert.equal(ok!.status, 'resolved');
  assert.equal(ok!.title, 'Postgres disk usage');
  const reminder = sample('legacy-alerting.json');
  reminder.evalMatches[0].value = 95.1;
  const [again] = events(reminder).events;
  assert.equal(hashContent(contentOf(again!), again!.volatile), hashContent(contentOf(firing!), firing!.volatile));
});

test('states: alerting and no_data fire, ok and paused resolve', () => {
  for (const [state, status] of [['alerting', 'firing'], ['no_data', 'firing'], ['ok', 'resolved'], ['paused', 'resolved']]) {
    assert.equal(events({ ...sample('legacy-alerting.json'), state }).events[0]!.status, status, state);
  }
});

test('the legacy Test button: fired and resolved at once under one fixed key, whatever its random rule id', () => {
  for (const source of [grafanaSource, alertmanagerSource]) {
    const r = source.parse(sample('legacy-test-notification.json'), ctx());
    assert.ok(r.ok);
    assert.deepEqual(r.value.events.map((e) => [e.dedupKey, e.status]), [['legacy:test', 'firing'], ['legacy:test', 'resolved']]);
    assert.match(r.value.warnings![0]!, /test notification/);
  }
  const old = { ...sample('legacy-test-notification.json'), ruleId: 0, orgId: undefined };
  assert.equal(events(old).events[0]!.dedupKey, 'legacy:test');
});

test('no ruleName: the title without its state prefix; severity_map applies to the tags', () => {
  const body = { ...sample('legacy-alerting.json'), ruleName: undefined, tags: { severity: 'P1' } };
  const [e] = events(body, { severityMap: { p1: 'critical' } }).events;
  assert.equal(e!.title, 'Postgres disk usage');
  assert.equal(e!.severity, 'critical');
});

test('a legacy body without a numeric ruleId is refused, naming the field', () => {
  const r = grafanaSource.parse({ ...sample('legacy-alerting.json'), ruleId: 'x' }, ctx());
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.problems[0]!.field, 'ruleId');
});
