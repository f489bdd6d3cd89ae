import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelsOf } from '../domain/labels.ts';
import { compileMatcher, matches, type MatchTarget } from './matchers.ts';
import { route, type Route } from './routes.ts';

const t = (over: { severity?: 'critical' | 'info' | 'warning' } = {}): MatchTarget =>
  labelsOf({
    source: 'app',
    severity: 'critical',
    metadata: { service: 'orders', team: ['payments', 'checkout'], replicas: 3, labels: { team: 'storage' }, meta: { owner: { name: 'ana' } } },
    ...over,
  });

const matcherCases: [string, string, string, boolean][] = [
  // label op value expected
  ['severity', '=', 'critical', true],
  ['severity', '=', 'crit', false],
  ['severity', '=~', 'crit', false],
  ['severity', '=~', 'crit.*', true],
  ['severity', '!=', 'info', true],
  ['severity', '!~', 'warn.*|info', true],
  ['source', '=', 'app', true],
  ['service', '=', 'orders', true],
  ['team', '=', 'checkout', true],
  ['team', '!=', 'checkout', false],
  ['replicas', '=', '3', true],
  ['missing', '=', 'x', false],
  ['missing', '!=', 'x', true],
  ['missing', '!~', '.+', true],
  ['labels.team', '=', 'storage', true],
  ['meta.owner.name', '=', 'ana', true],
  ['meta.owner', '=', 'ana', false],
];

for (const [label, op, value, expected] of matcherCases) {
  test(`matcher ${label} ${op} ${value} → ${expected}`, () => {
    assert.equal(matches(compileMatcher(label, op as never, value), t()), expected);
  });
}

const r = (to: string[], match: [string, string, string][] = [], cont = false): Route => ({
  matchers: match.map(([l, o, v]) => compileMatcher(l, o as never, v)),
  to,
  continue: cont,
});

test('first matching route wins', () => {
  const routes = [r(['pager'], [['severity', '=', 'critical']]), r(['default'])];
  assert.deepEqual(route(routes, t()), ['pager']);
  assert.deepEqual(route(routes, t({ severity: 'info' })), ['default']);
});

test('continue collects later routes, without repeats', () => {
  const routes = [r(['pager', 'log'], [['severity', '=', 'critical']], true), r(['log', 'default'])];
  assert.deepEqual(route(routes, t()), ['pager', 'log', 'default']);
});

test('no matching route yields no destination', () => {
  assert.deepEqual(route([r(['pager'], [['severity', '=', 'critical']])], t({ severity: 'warning' })), []);
});
