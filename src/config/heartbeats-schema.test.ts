import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig, ConfigError } from './load.ts';

const TOKEN = 'source-token-0123456789abcdef';
const doc = (over: Record<string, unknown>) => ({ sources: { app: { type: 'alerts', token: TOKEN }, am: { type: 'alertmanager', token: `${TOKEN}x` } }, ...over });

function problems(d: unknown): string[] {
  try {
    buildConfig(d, {}, '/tmp');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected a config error');
}

test('the issue\'s shape works as written: every only, the clock in ms, the title from every as written', () => {
  const c = buildConfig(doc({ heartbeats: { 'nightly-etl': { every: '25h' }, 'prometheus-watchdog': { every: '5m' } } }), {}, '/tmp');
  const etl = c.heartbeats.get('nightly-etl')!;
  assert.deepEqual([etl.everyMs, etl.graceMs, etl.severity, etl.title, etl.alert, etl.forward, etl.watchdog], [25 * 3_600_000, 0, 'critical', 'nightly-etl: no heartbeat for 25h', true, undefined, undefined]);
  assert.equal(c.heartbeats.get('prometheus-watchdog')!.everyMs, 300_000);
  assert.equal(c.selfHeartbeat, undefined);
  assert.equal(buildConfig(doc({}), {}, '/tmp').heartbeats.size, 0);
});

test('a Watchdog source, labels, forward by id or by the copied ping URL, self_heartbeat', () => {
  const c = buildConfig(
    doc({
      heartbeats: {
        'prometheus-watchdog': { every: '5m', grace: '1m', alertmanager: { source: 'am' }, labels: { team: 'sre' }, severity: 'error' },
        etl: { every: '1h', forward: { heartbeat_id: '01HB0000000000000000000000', api_key: 'k'.repeat(30) } },
        backup: { every: '1d', alert: false, incident_io: { url: 'https://api.incident.io/v2/heartbeat/01HB1/ping?token=secret-in-url' } },
      },
      self_heartbeat: { heartbeat_id: '01HBSELF', api_key: 'self-key' },
    }),
    {},
    '/tmp',
  );
  const wd = c.heartbeats.get('prometheus-watchdog')!;
  assert.deepEqual([wd.watchdog, wd.graceMs, wd.labels, wd.severity], [{ source: 'am', alertname: 'Watchdog', match: {} }, 60_000, { team: 'sre' }, 'error']);
  const etl = c.heartbeats.get('etl')!.forward!;
  assert.deepEqual([etl.url, etl.shownAs, etl.timeoutMs], ['https://api.incident.io/v2/heartbeat/01HB0000000000000000000000/ping', 'https://api.incident.io heartbeat 01HB0000000000000000000000', 10_000]);
  const backup = c.heartbeats.get('backup')!;
  assert.equal(backup.alert, false);
  assert.equal(backup.forward!.shownAs, 'https://api.incident.io heartbeat 01HB1', 'never the ?token=');
  assert.deepEqual([c.selfHeartbeat!.everyMs, c.selfHeartbeat!.url, c.selfHeartbeat!.apiKey], [60_000, 'https://api.incident.io/v2/heartbeat/01HBSELF/ping', 'self-key']);
});

test('mistakes name their key path', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ heartbeats: { etl: {} } }, /^heartbeats\.etl\.every: required: how often/],
    [{ heartbeats: { etl: { every: 'daily' } } }, /^heartbeats\.etl\.every: must be a duration/],
    [{ heartbeats: { etl: { every: '500ms' } } }, /^heartbeats\.etl\.every: must be at least 1s/],
    [{ heartbeats: { etl: { every: '1h', token: 'short' } } }, /^heartbeats\.etl\.token: must be at least 16/],
    [{ heartbeats: { etl: { every: '1h', labels: { heartbeat: 'x' } } } }, /^heartbeats\.etl\.labels\.heartbeat: "heartbeat" is set by tocsin/],
    [{ heartbeats: { etl: { every: '1h', alertmanager: { source: 'nope' } } } }, /^heartbeats\.etl\.alertmanager\.source: unknown source "nope"/],
    [{ heartbeats: { etl: { every: '1h', alertmanager: { source: 'app' } } } }, /^heartbeats\.etl\.alertmanager\.source: source "app" is of type alerts/],
    [{ heartbeats: { a: { every: '1h', alertmanager: { source: 'am' } }, b: { every: '1h', alertmanager: { source: 'am' } } } }, /^heartbeats\.b\.alertmanager: heartbeat "a" already takes this alert/],
    [{ heartbeats: { etl: { every: '1h', forward: { heartbeat_id: '01HB' } } } }, /^heartbeats\.etl\.forward\.api_key: give api_key/],
    [{ heartbeats: { etl: { every: '1h', forward: { api_key: 'k' } } } }, /^heartbeats\.etl\.forward\.url: give either url/],
    [{ heartbeats: { etl: { every: '1h', alert: false } } }, /^heartbeats\.etl\.alert: alert: false needs forward/],
    [{ heartbeats: { etl: { every: '1h', evry: '1h' } } }, /^heartbeats\.etl: unknown key\(s\): evry/],
    [{ self_heartbeat: { api_key: 'k' } }, /^self_heartbeat\.url: give either url/],
  ];
  for (const [d, expected] of cases) {
    const found = problems(doc(d));
    assert.ok(found.some((p) => expected.test(p)), `${expected}: ${JSON.stringify(found)}`);
  }
});

test('no secret in a config error', () => {
  const found = problems(doc({ heartbeats: { etl: { every: 'soon', forward: { url: 'https://api.incident.io/v2/heartbeat/01HB1/ping?token=very-secret-token-value' } } } }));
  assert.ok(!found.join('\n').includes('very-secret-token-value'));
});

test('check-config warns when a missed alert would match no route', () => {
  const destinations = { destinations: { oncall: { type: 'incident_io_alert_source', alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token: 'x'.repeat(20) } } };
  const routes = [{ match: { team: 'payments' }, to: 'oncall' }, { match: { heartbeat: 'etl' }, to: 'oncall' }];
  const c = buildConfig(doc({ ...destinations, routes, heartbeats: { etl: { every: '1h' }, backup: { every: '1d' }, pay: { every: '1h', labels: { team: 'payments' } } } }), {}, '/tmp');
  assert.deepEqual(c.warnings.filter((w) => w.path.startsWith('heartbeats')).map((w) => w.path), ['heartbeats.backup']);
  assert.deepEqual(buildConfig(doc({ ...destinations, heartbeats: { backup: { every: '1d' } } }), {}, '/tmp').warnings.filter((w) => w.path.startsWith('heartbeats')), [], 'no routes: everything goes everywhere');
});
