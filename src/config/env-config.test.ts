import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, envConfigRequested, ENV_DESTINATION } from './env-config.ts';
import { ConfigError } from './load.ts';

const ID = '01GW2G3V0S59R238FAHPDS1R66';
const TOKEN = 'alert-source-token-0123456789';
const base = {
  TOCSIN_SOURCES: 'app, alertmanager, prom:alertmanager',
  TOCSIN_SOURCE_APP_TOKEN: 'app-token-0123456789abc',
  TOCSIN_SOURCE_ALERTMANAGER_TOKEN: 'am-token-0123456789abc',
  TOCSIN_SOURCE_PROM_TOKEN: 'prom-token-0123456789ab',
  INCIDENT_IO_ALERT_SOURCE_ID: ID,
  INCIDENT_IO_ALERT_SOURCE_TOKEN: TOKEN,
};
const problems = (env: NodeJS.ProcessEnv): string[] => {
  try {
    configFromEnv(env, '/srv');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected a config error');
};

test('TOCSIN_DATABASE_URL: PostgreSQL storage from the environment (one of it or TOCSIN_SQLITE)', () => {
  const c = configFromEnv({ ...base, TOCSIN_DATABASE_URL: 'postgres://tocsin:pw@db:5432/tocsin' }, '/srv');
  assert.deepEqual(c.storage, { postgres: { url: 'postgres://tocsin:pw@db:5432/tocsin', password: undefined, poolSize: 10, tls: undefined } });
  assert.throws(() => configFromEnv({ ...base, TOCSIN_DATABASE_URL: 'postgres://db/t', TOCSIN_SQLITE: 'x.db' }, '/srv'), /TOCSIN_DATABASE_URL: set TOCSIN_SQLITE or TOCSIN_DATABASE_URL, not both/);
  assert.throws(() => configFromEnv({ ...base, TOCSIN_DATABASE_URL: 'mysql://db/t' }, '/srv'), /TOCSIN_DATABASE_URL: must be a postgres:\/\/ URL/);
});

test('sources and one alert source from the environment; type from the name or name:type', () => {
  const c = configFromEnv({ ...base, TOCSIN_LISTEN: '0.0.0.0:9000', TOCSIN_SQLITE: 'db/t.db', TOCSIN_ADMIN_TOKEN: 'admin-token-0123456789' }, '/srv');
  assert.deepEqual([...c.sources.values()].map((s) => [s.name, s.type, s.token]), [
    ['app', 'alerts', base.TOCSIN_SOURCE_APP_TOKEN],
    ['alertmanager', 'alertmanager', base.TOCSIN_SOURCE_ALERTMANAGER_TOKEN],
    ['prom', 'alertmanager', base.TOCSIN_SOURCE_PROM_TOKEN],
  ]);
  const d = c.destinations.get(ENV_DESTINATION)!.config;
  assert.deepEqual([d.type, d.alert_source_config_id, d.token, d.base_url], ['incident_io_alert_source', ID, TOKEN, 'https://api.incident.io']);
  assert.deepEqual(c.routes.map((r) => r.to), [[ENV_DESTINATION]]);
  assert.deepEqual(c.listen, { host: '0.0.0.0', port: 9000 });
  assert.deepEqual(c.storage, { sqlite: '/srv/db/t.db' });
  assert.equal(c.adminToken, 'admin-token-0123456789');
  assert.deepEqual(c.origin, { kind: 'env' });
  assert.deepEqual(c.warnings, []);
});

test("Versus Incident's variable names work as they are", () => {
  const c = configFromEnv({ TOCSIN_SOURCES: 'versus', TOCSIN_SOURCE_VERSUS_TOKEN: 'versus-token-0123456789', INCIDENTIO_ALERT_SOURCE_CONFIG_ID: ID, INCIDENTIO_API_KEY: TOKEN, INCIDENT_IO_BASE_URL: 'http://127.0.0.1:1' });
  assert.equal(c.sources.get('versus')!.type, 'versus');
  const d = c.destinations.get(ENV_DESTINATION)!.config;
  assert.deepEqual([d.alert_source_config_id, d.token, d.base_url], [ID, TOKEN, 'http://127.0.0.1:1']);
});

test('a $ in a value is literal, never an ${ENV} reference', () => {
  const c = configFromEnv({ ...base, TOCSIN_SOURCE_APP_TOKEN: 'a$${HOME}$$b-0123456789' });
  assert.equal(c.sources.get('app')!.token, 'a$${HOME}$$b-0123456789');
});

test('secrets from _FILE variables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-env-'));
  writeFileSync(join(dir, 'app'), 'app-token-from-a-file-0123\n');
  writeFileSync(join(dir, 'dest'), `${TOKEN}\n`);
  const { TOCSIN_SOURCE_APP_TOKEN: _a, INCIDENT_IO_ALERT_SOURCE_TOKEN: _d, ...rest } = base;
  const c = configFromEnv({ ...rest, TOCSIN_SOURCE_APP_TOKEN_FILE: join(dir, 'app'), INCIDENT_IO_ALERT_SOURCE_TOKEN_FILE: join(dir, 'dest') });
  assert.equal(c.sources.get('app')!.token, 'app-token-from-a-file-0123');
  assert.equal(c.destinations.get(ENV_DESTINATION)!.config.token, TOKEN);
});

const bad: [string, NodeJS.ProcessEnv, RegExp][] = [
  ['no sources', { ...base, TOCSIN_SOURCES: ' , ' }, /^TOCSIN_SOURCES: list the sources/],
  ['a source without its token', { ...base, TOCSIN_SOURCE_PROM_TOKEN: '' }, /^TOCSIN_SOURCE_PROM_TOKEN: the token senders to source "prom" present/],
  ['a short token', { ...base, TOCSIN_SOURCE_APP_TOKEN: 'short' }, /^TOCSIN_SOURCE_APP_TOKEN: must be at least 16 characters/],
  ['no alert source id', { ...base, INCIDENT_IO_ALERT_SOURCE_ID: undefined }, /^INCIDENT_IO_ALERT_SOURCE_ID: the ID of your incident\.io HTTP alert source \(Versus' INCIDENTIO_ALERT_SOURCE_CONFIG_ID works too\)/],
  ['a URL for the id', { ...base, INCIDENT_IO_ALERT_SOURCE_ID: 'https://api.incident.io/v2/alert_events/http/01GW' }, /^INCIDENT_IO_ALERT_SOURCE_ID: .*not a URL/],
  ['no alert source token', { ...base, INCIDENT_IO_ALERT_SOURCE_TOKEN: undefined }, /^INCIDENT_IO_ALERT_SOURCE_TOKEN: that alert source's secret token, not an API key/],
  ['ours and Versus disagree', { ...base, INCIDENTIO_API_KEY: 'another-token-0123456789' }, /^INCIDENT_IO_ALERT_SOURCE_TOKEN, INCIDENTIO_API_KEY: set to different values/],
  ['a bad source name', { ...base, TOCSIN_SOURCES: 'my app' }, /^TOCSIN_SOURCES: "my app": a source name uses/],
  ['two names, one variable', { ...base, TOCSIN_SOURCES: 'a-b,a_b' }, /^TOCSIN_SOURCES: "a-b" and "a_b" would both read TOCSIN_SOURCE_A_B_TOKEN/],
  ['an unknown type', { ...base, TOCSIN_SOURCES: 'app:nagios' }, /^TOCSIN_SOURCES: unknown source type "nagios"/],
  ['a type that needs options', { ...base, TOCSIN_SOURCES: 'shop:webhook', TOCSIN_SOURCE_SHOP_TOKEN: 'shop-token-0123456789' }, /^TOCSIN_SOURCES: source "shop": title: .*need a config file/],
  ['a bad listen', { ...base, TOCSIN_LISTEN: '8080' }, /^TOCSIN_LISTEN: must be host:port/],
  ["Versus' other alert sources", { ...base, INCIDENTIO_OTHER_ALERT_SOURCE_CONFIG_ID_INFRA: ID }, /^INCIDENTIO_OTHER_ALERT_SOURCE_CONFIG_ID_INFRA: several alert sources need a config file/],
];
for (const [name, env, expected] of bad) {
  test(`environment config error: ${name}`, () => {
    const p = problems(env);
    assert.ok(p.some((x) => expected.test(x)), p.join('\n'));
    for (const secret of [base.TOCSIN_SOURCE_APP_TOKEN, TOKEN, 'another-token-0123456789']) assert.ok(!p.join().includes(secret), 'no secret in a problem');
  });
}

test('asked for only by TOCSIN_SOURCES or an alert source id, never by a token alone', () => {
  assert.equal(envConfigRequested({}), false);
  assert.equal(envConfigRequested({ INCIDENTIO_API_KEY: TOKEN, TOCSIN_ADMIN_TOKEN: TOKEN, TOCSIN_LISTEN: '0.0.0.0:8080' }), false);
  assert.equal(envConfigRequested({ TOCSIN_SOURCES: 'app' }), true);
  assert.equal(envConfigRequested({ INCIDENTIO_ALERT_SOURCE_CONFIG_ID: ID }), true);
  assert.equal(envConfigRequested({ INCIDENT_IO_ALERT_SOURCE_ID: ID }), true);
});
