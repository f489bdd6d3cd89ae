import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, ConfigError, loadConfigFile } from './load.ts';

const T = 'x'.repeat(20);
const valid = () => ({
  admin_token: '${ADMIN}',
  sources: { app: { type: 'alerts', token: '${APP_TOKEN}' } },
  destinations: {
    oncall: { type: 'incident_io_alert_source', alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token: T, metadata: { environment: 'production' } },
  },
  routes: [{ match: { severity: 'critical', service: { '=~': 'orders|payments' } }, to: ['oncall'], continue: true }, { to: 'oncall' }],
});
const env = { ADMIN: 'a'.repeat(20), APP_TOKEN: 'b'.repeat(20) };

function problems(doc: unknown, e: NodeJS.ProcessEnv = env): string[] {
  try {
    buildConfig(doc, e, '/tmp');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected a config error');
}

test('the issue example loads with defaults and expanded env', () => {
  const c = buildConfig(valid(), env, '/srv');
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(c.storage, { sqlite: '/srv/data/tocsin.db' });
  assert.equal(c.adminToken, env.ADMIN);
  assert.equal(c.sources.get('app')!.token, env.APP_TOKEN);
  const d = c.destinations.get('oncall')!.config as Record<string, unknown>;
  assert.equal(d.base_url, 'https://api.incident.io');
  assert.equal(d.rate_limit_per_minute, 120);
  assert.equal(c.routes.length, 2);
  assert.equal(c.routes[0]!.matchers.length, 2);
  assert.deepEqual(c.routes[1]!.to, ['oncall']);
  assert.equal(c.delivery.maxRetryAgeMs, 24 * 3_600_000);
});

test('no routes: everything goes to every destination', () => {
  const doc = { ...valid(), routes: undefined };
  assert.deepEqual(buildConfig(doc, env, '/').routes[0]!.to, ['oncall']);
});

const bad: [string, (d: any) => void, RegExp][] = [
  ['unset env var', (d) => (d.admin_token = '${NOPE}'), /^admin_token: environment variable NOPE is not set/],
  ['unknown top-level key', (d) => (d.sorces = {}), /unknown key\(s\): sorces/],
  ['unknown source type', (d) => (d.sources.app.type = 'nagios'), /^sources\.app\.type: unknown source type "nagios" \(known: alerts/],
  ['short source token', (d) => (d.sources.app.token = 'short'), /^sources\.app\.token: must be at least 16/],
  ['missing alert source id', (d) => delete d.destinations.oncall.alert_source_config_id, /^destinations\.oncall\.alert_source_config_id: the ID of the HTTP alert source/],
  ['a URL instead of an id', (d) => (d.destinations.oncall.alert_source_config_id = 'https://api.incident.io/v2/alert_events/http/01GW'), /not a URL/],
  ['unknown destination key', (d) => (d.destinations.oncall.api_key = 'x'), /^destinations\.oncall: unknown key\(s\): api_key/],
  ['route to an unknown destination', (d) => (d.routes[1].to = ['pager']), /^routes\[1\]\.to: unknown destination "pager" \(configured: oncall\)/],
  ['bad regex', (d) => (d.routes[0].match.service = { '=~': '(' }), /^routes\[0\]\.match\.service: invalid regular expression/],
  ['two operators', (d) => (d.routes[0].match.service = { '=~': 'a', '!=': 'b' }), /exactly one of/],
  ['bad listen', (d) => (d.listen = '8080'), /^listen: must be host:port/],
  ['bad duration', (d) => (d.delivery = { max_retry_age: 'forever' }), /^delivery\.max_retry_age: must be a duration/],
  ['bad source name', (d) => (d.sources['my source'] = d.sources.app), /source names use/],
];
for (const [name, mutate, expected] of bad) {
  test(`config error: ${name}`, () => {
    const doc = valid();
    mutate(doc);
    const p = problems(doc);
    assert.ok(p.some((x) => expected.test(x)), p.join('\n'));
  });
}

test('secrets from *_file; both forms at once is an error; the file content never appears in errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-config-'));
  writeFileSync(join(dir, 'token'), `${T}-from-file\n`);
  const doc = valid() as any;
  doc.destinations.oncall.token = undefined;
  doc.destinations.oncall.token_file = 'token';
  const c = buildConfig(doc, env, dir);
  assert.equal((c.destinations.get('oncall')!.config as unknown as { token: string }).token, `${T}-from-file`);
  doc.destinations.oncall.token = T;
  assert.match(problems(doc).join(), /set either token or token_file/);
  doc.destinations.oncall.token = undefined;
  doc.destinations.oncall.token_file = 'missing';
  assert.match(problems(doc).join(), /destinations\.oncall\.token_file: cannot read missing: ENOENT/);
});

test('YAML syntax errors name the line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-config-'));
  writeFileSync(join(dir, 'c.yaml'), 'sources:\n  app: { type: alerts\n');
  assert.throws(() => loadConfigFile(join(dir, 'c.yaml')), (e: ConfigError) => /line \d/.test(e.message));
  assert.throws(() => loadConfigFile(join(dir, 'nope.yaml')), /cannot read config file/);
});

test('storage.postgres: a URL, or an object with pool size, a password kept out of the URL and TLS', () => {
  const short = buildConfig({ ...valid(), storage: { postgres: 'postgres://tocsin@127.0.0.1:5432/tocsin' } }, env, '/srv');
  assert.deepEqual(short.storage, { postgres: { url: 'postgres://tocsin@127.0.0.1:5432/tocsin', password: undefined, poolSize: 10, tls: undefined } });
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-pg-'));
  writeFileSync(join(dir, 'pw'), 's3cret\n');
  writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
  const long = buildConfig(
    { ...valid(), storage: { postgres: { url: 'postgresql://tocsin@db:5432/tocsin', password_file: 'pw', pool_size: 4, tls: { ca_file: 'ca.pem' } } } },
    env,
    dir,
  );
  assert.deepEqual(long.storage, {
    postgres: { url: 'postgresql://tocsin@db:5432/tocsin', password: 's3cret', poolSize: 4, tls: { ca: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----', rejectUnauthorized: true } },
  });
  assert.deepEqual(problems({ ...valid(), storage: { postgres: 'mysql://db/x' } }), ['storage.postgres.url: must be a postgres:// URL, e.g. postgres://tocsin@db.internal:5432/tocsin']);
  assert.deepEqual(problems({ ...valid(), storage: { postgres: { url: 'postgres://db/x', pool_size: 1 } } }), [
    'storage.postgres.pool_size: must be at least 2: deliveries and ingest use connections of their own',
  ]);
});

test('routes with escalation steps: the first at once, later ones after; each mistake named by its key path', () => {
  const dests = { ...valid().destinations, chat: { ...valid().destinations.oncall, alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R67' } };
  const c = buildConfig({ ...valid(), destinations: dests, routes: [{ match: { team: 'payments' }, escalation: [{ notify: 'chat' }, { after: '3m', to: ['oncall'] }] }, { to: 'chat' }] }, env, '/tmp');
  assert.deepEqual(c.routes[0]!.to, ['chat']);
  assert.deepEqual(c.routes[0]!.steps, [{ afterMs: 180_000, to: ['oncall'] }]);
  assert.equal(c.routes[1]!.steps, undefined);
  const bad = (routes: unknown[]) => problems({ ...valid(), destinations: dests, routes });
  assert.deepEqual(bad([{ escalation: [{ notify: 'chat', after: '1m' }] }]), ['routes.0.escalation.0.after: the first step goes out at once: leave after out']);
  assert.deepEqual(bad([{ escalation: [{ notify: 'chat' }, { after: '5m', to: 'oncall' }, { after: '5m', to: 'oncall' }] }]), [
    'routes.0.escalation.2.after: each step comes after the one before (after counts from when the alert fired)',
  ]);
  assert.deepEqual(bad([{ to: 'chat', escalation: [{ notify: 'chat' }] }]), ['routes.0.to: give a route either to (destinations) or escalation (steps), not both or neither']);
  assert.deepEqual(bad([{ escalation: [{ notify: 'chat' }, { after: '1m', to: 'pager' }] }]), ['routes[0].escalation[1]: unknown destination "pager" (configured: oncall, chat)']);
  assert.deepEqual(bad([{ escalation: [{ notify: 'chat', to: 'oncall' }] }]), ["routes.0.escalation.0: give the step's destinations as notify or to (one of them)"]);
});
