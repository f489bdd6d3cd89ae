import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlertRow } from '../storage/schema.ts';
import { matchesSearch, parseLabelFilter } from './alert-search.ts';

const alert = (over: Partial<AlertRow>): AlertRow =>
  ({ id: 'a', source: 'app', dedup_key: 'orders-5xx', title: 'Orders API 5xx', severity: 'critical', labels: JSON.stringify({ team: ['payments', 'web'], source: ['app'] }), ...over }) as AlertRow;

test('label filters: name=value, spaces trimmed; without = there is none', () => {
  assert.deepEqual(parseLabelFilter('team=payments'), { name: 'team', value: 'payments' });
  assert.deepEqual(parseLabelFilter(' meta.team = data=x '), { name: 'meta.team', value: 'data=x' });
  assert.equal(parseLabelFilter('team'), undefined);
  assert.equal(parseLabelFilter('=x'), undefined);
});

test('an alert matches when every filter given does', () => {
  const cases: [Parameters<typeof matchesSearch>[1], boolean][] = [
    [{}, true],
    [{ severity: 'critical' }, true],
    [{ severity: 'warning' }, false],
    [{ label: { name: 'team', value: 'web' } }, true],
    [{ label: { name: 'team', value: 'data' } }, false],
    [{ label: { name: 'owner', value: 'x' } }, false],
    [{ text: 'API 5XX' }, true],
    [{ text: 'ORDERS-5' }, true],
    [{ text: 'disk' }, false],
    [{ severity: 'critical', label: { name: 'team', value: 'payments' }, text: 'orders' }, true],
    [{ severity: 'critical', label: { name: 'team', value: 'payments' }, text: 'disk' }, false],
  ];
  for (const [search, want] of cases) assert.equal(matchesSearch(alert({}), search), want, JSON.stringify(search));
  assert.equal(matchesSearch(alert({ severity: null }), { severity: 'none' }), true, 'no severity is "none"');
});
