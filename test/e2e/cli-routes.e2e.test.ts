/**
 * `tocsin routes show` and `tocsin routes test` read the config locally; the gateway routes a real Alertmanager
 * webhook with the same labels to exactly the destinations `routes test` printed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { tocsin } from './cli-helpers.ts';

const PROM_TOKEN = 'prometheus-source-token-0123456789';

/** An Alertmanager webhook (version 4) for one firing alert, as Alertmanager posts it to a webhook receiver. */
function alertmanagerWebhook(labels: Record<string, string>) {
  const alert = {
    status: 'firing',
    labels,
    annotations: { summary: `${labels.alertname} on ${labels.instance}` },
    startsAt: new Date().toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=ceph_osd_up+%3D%3D+0',
    fingerprint: 'c0ffee00c0ffee00',
  };
  return {
    version: '4',
    groupKey: `{}:{alertname="${labels.alertname}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'tocsin',
    groupLabels: { alertname: labels.alertname },
    commonLabels: labels,
    commonAnnotations: alert.annotations,
    externalURL: 'http://127.0.0.1:9093',
    alerts: [alert],
  };
}

describe('CLI: routes show and routes test', () => {
  let emu: Emulator;
  let gw: TocsinProcess;
  let dir: string;
  let config: string;
  let noDefault: string;

  before(async () => {
    emu = await Emulator.start();
    dir = tempDir();
    const port = await freePort();
    const base = gatewayConfig(emu, dir, port);
    const dest = (base.destinations as { oncall: unknown }).oncall;
    const sources = { prometheus: { type: 'alertmanager', token: PROM_TOKEN }, app: { type: 'alerts', token: 'app-source-token-0123456789' } };
    const destinations = { oncall: dest, storage: dest, data: dest };
    config = writeConfig(dir, {
      ...base,
      sources,
      destinations,
      routes: [
        { match: { team: 'storage', severity: { '=~': 'critical|error' } }, to: 'storage', continue: true },
        { match: { source: 'app', service: { '!=': 'orders' } }, to: ['data', 'oncall'] },
        { to: 'oncall' },
        { match: { team: 'data' }, to: 'data' },
      ],
    });
    noDefault = writeConfig(dir, { ...base, sources, destinations, routes: [{ match: { team: 'storage' }, to: 'storage' }] }, 'no-default.yaml');
    gw = await startTocsin(config, { port });
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  test('routes show: every route in order, the default route, what is never reached', async () => {
    const r = await tocsin(['routes', 'show', '--config', config]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines[0], `${config}: 4 routes, tried in order; the first match wins unless it says continue`);
    assert.match(lines[1]!, /^#\s+MATCH\s+TO\s+THEN$/);
    assert.match(lines[2]!, /^1\s+team="storage", severity=~"critical\|error"\s+storage\s+continue$/);
    assert.match(lines[3]!, /^2\s+source="app", service!="orders"\s+data, oncall\s+stop$/);
    assert.match(lines[4]!, /^3\s+\(matches every alert\)\s+oncall\s+stop \(default route\)$/);
    assert.match(lines[5]!, /^4\s+team="data"\s+data\s+never reached: route 3 takes every alert$/);
    assert.match(lines[6]!, /^destinations: oncall \(incident_io_alert_source\), storage \(incident_io_alert_source\), data \(incident_io_alert_source\)$/);
    assert.equal(lines.length, 7);

    const json = JSON.parse((await tocsin(['routes', 'show', '--config', config, '--json'])).out);
    assert.equal(json.default_route, 3);
    assert.deepEqual(json.routes[0].match, [{ label: 'team', op: '=', value: 'storage' }, { label: 'severity', op: '=~', value: 'critical|error' }]);
    assert.equal(json.routes[3].unreachable, true);

    const none = await tocsin(['routes', 'show', '--config', noDefault]);
    assert.equal(none.code, 0, none.err);
    assert.match(none.out, /^no default route: an alert that matches none of these is stored and delivered nowhere \(see tocsin alerts --unrouted\)$/m);
  });

  test('routes test prints the routes and destinations; the gateway sends a real Alertmanager alert with those labels to the same place', async () => {
    const labels = { alertname: 'CephOSDDown', instance: 'storage-node-17:9283', team: 'storage', severity: 'critical' };
    const r = await tocsin(['routes', 'test', ...Object.entries(labels).map(([k, v]) => `${k}=${v}`), '--source', 'prometheus', '--config', config]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.equal(
      r.out,
      [
        'labels        alertname="CephOSDDown", instance="storage-node-17:9283", severity="critical", source="prometheus", team="storage"',
        'route 1       team="storage", severity=~"critical|error" → storage (continue)',
        'route 3       (matches every alert) → oncall',
        'destinations  storage, oncall',
        '',
      ].join('\n'),
    );
    const predicted = JSON.parse((await tocsin(['routes', 'test', ...Object.entries(labels).map(([k, v]) => `${k}=${v}`), '--source', 'prometheus', '--config', config, '--json'])).out);
    assert.deepEqual(predicted.matched_routes, [1, 3]);

    const sent = await http('POST', `${gw.url}/ingest/prometheus`, { token: PROM_TOKEN, body: alertmanagerWebhook(labels) });
    assert.equal(sent.status, 202, sent.text);
    const id = sent.body.results[0].id as string;
    const shown = await waitFor('the alert', async () => {
      const a = await tocsin(['alert', id, '--json'], { TOCSIN_URL: gw.url, TOCSIN_ADMIN_TOKEN: ADMIN_TOKEN });
      return a.code === 0 ? JSON.parse(a.out) : undefined;
    });
    assert.deepEqual(shown.alert.routed_to, predicted.destinations, 'the gateway routed it where routes test said');

    // severity=warning fails route 1's regex; the app source with another service takes route 2 and stops there.
    const app = await tocsin(['routes', 'test', 'service=search', 'severity=warning', '--source', 'app', '--config', config]);
    assert.match(app.out, /^route 2 {7}source="app", service!="orders" → data, oncall\ndestinations  data, oncall\n$/m);
  });

  test('nothing matches: said plainly, exit 1; a missing or unknown source is a warning', async () => {
    const r = await tocsin(['routes', 'test', 'team=web', '--source', 'prometheus', '--config', noDefault]);
    assert.equal(r.code, 1);
    assert.equal(r.out, 'labels        source="prometheus", team="web"\nno route matches: this alert would be stored and delivered nowhere (unrouted); the config has no default route\n');
    const json = JSON.parse((await tocsin(['routes', 'test', 'team=web', '--source', 'prometheus', '--config', noDefault, '--json'])).out);
    assert.deepEqual(json, { labels: { team: ['web'], source: ['prometheus'] }, matched_routes: [], destinations: [], routed: false });

    const nosource = await tocsin(['routes', 'test', 'team=storage', '--config', noDefault]);
    assert.equal(nosource.code, 0);
    assert.equal(nosource.err, 'warning: no source given (--source NAME): routes that match on source will not match\n');
    const unknown = await tocsin(['routes', 'test', 'team=storage', '--source', 'grafana', '--config', noDefault]);
    assert.equal(unknown.err, 'warning: source "grafana" is not configured (configured: prometheus, app)\n');
  });
});
