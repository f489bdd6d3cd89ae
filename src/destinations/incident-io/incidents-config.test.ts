import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { incidentsConfig } from './incidents-config.ts';

const base = { type: 'incident_io_incidents', api_key: 'k', severity: { critical: 'Critical' } };

describe('incidents config', () => {
  it('defaults', () => {
    const c = incidentsConfig.parse(base);
    assert.equal(c.base_url, 'https://api.incident.io');
    assert.equal(c.visibility, 'public');
    assert.equal(c.mode, 'standard');
    assert.equal(c.on_resolve, 'close');
    assert.equal(c.rate_limit_per_minute, 1200);
    assert.equal(c.rate_limit_burst, 50);
    assert.equal(c.closed_status, undefined);
  });

  const bad: [string, Record<string, unknown>, string, RegExp][] = [
    ['no severity map', { severity: undefined }, 'severity', /map tocsin severities/],
    ['an empty severity map', { severity: {} }, 'severity', /at least one of critical, error, warning, info/],
    ['an unknown tocsin level', { severity: { sev1: 'Critical' } }, 'severity', /sev1/],
    ['a blank name', { severity: { critical: ' ' } }, 'severity.critical', /severity name/],
    ['an unknown on_resolve', { on_resolve: 'delete' }, 'on_resolve', /close.*summary_only.*nothing/],
    ['mode retrospective is not for alerts', { mode: 'retrospective' }, 'mode', /standard.*test/],
    ['no api key', { api_key: undefined }, 'api_key', /org API key/],
  ];
  for (const [name, over, path, message] of bad) {
    it(name, () => {
      const r = incidentsConfig.safeParse({ ...base, ...over });
      assert.ok(!r.success);
      const issue = r.error.issues[0]!;
      assert.equal(issue.path.join('.'), path);
      assert.match(issue.code === 'unrecognized_keys' ? issue.keys.join() : issue.message, message);
    });
  }
});
