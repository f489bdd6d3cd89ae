import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileMatcher } from '../routing/matchers.ts';
import { route, type Route } from '../routing/routes.ts';
import { formatLabels, formatMatcher, routeTree, testLabels, testRoutes } from './routes-explain.ts';

const routes: Route[] = [
  { matchers: [compileMatcher('team', '=', 'storage'), compileMatcher('severity', '=~', 'critical|error')], to: ['storage'], continue: true },
  { matchers: [compileMatcher('source', '=', 'dbt')], to: ['data'], continue: false },
  { matchers: [], to: ['oncall'], continue: false },
  { matchers: [compileMatcher('team', '=', 'web')], to: ['web'], continue: false },
];

test('the tree: the first reachable catch-all is the default route; what follows it is never reached', () => {
  const t = routeTree(routes);
  assert.equal(t.defaultRoute, 3);
  assert.deepEqual(t.routes.map((r) => [r.index, r.catchAll, r.unreachable]), [[1, false, false], [2, false, false], [3, true, false], [4, false, true]]);
  assert.equal(routeTree([{ matchers: [], to: ['a'], continue: true }, { matchers: [], to: ['b'], continue: false }]).routes[1]!.unreachable, false, 'a catch-all with continue stops nothing');
  assert.equal(routeTree(routes.slice(0, 2)).defaultRoute, null);
  assert.equal(formatMatcher(routes[0]!.matchers[1]!), 'severity=~"critical|error"');
});

const cases: [string, string[], string | undefined, number[], string[]][] = [
  ['storage critical: route 1 continues to the default', ['team=storage', 'severity=critical'], 'prometheus', [1, 3], ['storage', 'oncall']],
  ['storage warning: the regex fails', ['team=storage', 'severity=warning'], 'prometheus', [3], ['oncall']],
  ['dbt by --source', ['resource_type=test'], 'dbt', [2], ['data']],
  ['dbt by source= label', ['source=dbt'], undefined, [2], ['data']],
  ['a label with two values matches on either', ['team=web', 'team=storage', 'severity=error'], 'x', [1, 3], ['storage', 'oncall']],
];
for (const [name, args, source, matched, destinations] of cases) {
  test(`routes test: ${name}`, () => {
    const input = testLabels(args, source);
    assert.ok(input.ok);
    const r = testRoutes(routes, input.labels);
    assert.deepEqual(r.matched, matched);
    assert.deepEqual(r.destinations, destinations);
    assert.deepEqual(r.destinations, route(routes, input.labels), 'the gateway’s own answer');
  });
}

test('labels from arguments: source and severity as the gateway sets them; mistakes explained', () => {
  const ok = testLabels(['team=storage', 'severity=critical'], 'prometheus');
  assert.ok(ok.ok);
  assert.equal(formatLabels(ok.labels), 'severity="critical", source="prometheus", team="storage"');
  assert.deepEqual(ok.warnings, []);
  const none = testLabels(['team=storage'], undefined);
  assert.ok(none.ok);
  assert.equal(none.labels.source, undefined);
  assert.match(none.warnings[0]!, /no source given/);
  for (const [args, source, message] of [
    [['team'], undefined, /"team" is not name=value/],
    [['severity=P1'], undefined, /one of critical, error, warning, info/],
    [['severity=critical', 'severity=info'], undefined, /one of critical/],
    [['source=a'], 'b', /give the source once/],
  ] as const) {
    const r = testLabels(args, source);
    assert.ok(!r.ok);
    assert.match(r.message, message);
  }
});

test('an escalation route shows its later steps in the tree', () => {
  const t = routeTree([{ matchers: [], to: ['chat'], steps: [{ afterMs: 180_000, to: ['oncall'] }], continue: false }]);
  assert.deepEqual(t.routes[0]!.to, ['chat']);
  assert.deepEqual(t.routes[0]!.escalation, [{ after_ms: 180_000, to: ['oncall'] }]);
  assert.equal(routeTree(routes).routes[0]!.escalation, undefined);
});
