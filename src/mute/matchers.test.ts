import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allMatch, formatMatcher, parseMatcher, parseMatchers } from './matchers.ts';

test('Alertmanager matcher syntax: operators, quotes, lists in braces', () => {
  const cases: [string, string, string, string][] = [
    ['alertname=~"Disk.*"', 'alertname', '=~', 'Disk.*'],
    ['team!=storage', 'team', '!=', 'storage'],
    ['env="prod"', 'env', '=', 'prod'],
    ["job!~'node|db'", 'job', '!~', 'node|db'],
    ['msg="a \\"quoted\\" = b"', 'msg', '=', 'a "quoted" = b'],
    ['empty=""', 'empty', '=', ''],
  ];
  for (const [text, label, op, value] of cases) {
    const r = parseMatcher(text);
    assert.ok(r.ok, text);
    assert.deepEqual([r.matcher.label, r.matcher.op, r.matcher.value], [label, op, value], text);
  }
  const list = parseMatchers('{alertname="DiskFull", instance=~"db-.*,x"}');
  assert.ok(list.ok);
  assert.deepEqual(list.matchers.map(formatMatcher), ['alertname="DiskFull"', 'instance=~"db-.*,x"']);
  assert.equal(parseMatchers(['a=b', 'c!=d']).ok, true);
});

test('bad matchers are refused with the reason', () => {
  for (const bad of ['novalue', '=x', 'a=~"("', 'a="unterminated', '1a=b']) {
    const r = parseMatchers(bad);
    assert.equal(r.ok, false, bad);
  }
});

test('a missing label has the empty value, as in Alertmanager; regexes are anchored', () => {
  const m = (t: string) => {
    const r = parseMatchers(t);
    assert.ok(r.ok);
    return r.matchers;
  };
  assert.equal(allMatch(m('team=""'), {}), true);
  assert.equal(allMatch(m('team!="x"'), {}), true);
  assert.equal(allMatch(m('team=~".*"'), {}), true);
  assert.equal(allMatch(m('team=~".+"'), {}), false);
  assert.equal(allMatch(m('severity=~"crit"'), { severity: ['critical'] }), false);
  assert.equal(allMatch(m('severity=~"crit.*"'), { severity: ['critical'] }), true);
  assert.equal(allMatch(m('tags="nightly"'), { tags: ['finance', 'nightly'] }), true);
});
