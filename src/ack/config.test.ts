/** `ack:` in a config file and from the environment (config/ack-schema.ts, config/env-config.ts). */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configFromEnv } from '../config/env-config.ts';
import { buildConfig, ConfigError } from '../config/load.ts';

const SECRET = 'ack-secret-unit-0123456789abcdef0123';
const base = { sources: { app: { type: 'alerts', token: 'app-token-0123456789abc' } }, destinations: { chat: { type: 'slack', webhook_url: 'https://hooks.slack.com/services/T/B/x' } } };
const problems = (doc: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, dir = '/'): string[] => {
  try {
    buildConfig({ ...base, ...doc }, env, dir);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
};

test('ack: secret, public_url (trailing slash dropped), link_ttl (default 7d)', () => {
  const c = buildConfig({ ...base, ack: { secret: SECRET, public_url: 'https://tocsin.example.com/' } }, {}, '/');
  assert.deepEqual(c.ack, { secret: SECRET, publicUrl: 'https://tocsin.example.com', linkTtlMs: 7 * 86_400_000 });
  assert.equal(buildConfig({ ...base, ack: { secret: SECRET, public_url: 'http://10.0.0.5:8080/tocsin', link_ttl: '12h' } }, {}, '/').ack?.linkTtlMs, 12 * 3_600_000);
  assert.equal(buildConfig(base, {}, '/').ack, undefined);
});

test('ack: mistakes name the key, never the secret', () => {
  const short = problems({ ack: { secret: 'short-secret-value', public_url: 'https://t.example' } });
  assert.deepEqual(short, ['ack.secret: must be at least 32 characters: generate one with `openssl rand -hex 32`']);
  assert.match(problems({ ack: { secret: SECRET } }).join('\n'), /^ack\.public_url: the URL people reach tocsin at/);
  assert.match(problems({ ack: { secret: SECRET, public_url: 'tocsin.example.com' } }).join('\n'), /ack\.public_url: must be an http\(s\) URL/);
  assert.match(problems({ ack: { secret: SECRET, public_url: 'https://t.example/?a=1' } }).join('\n'), /ack\.public_url/);
  assert.match(problems({ ack: { secret: SECRET, public_url: 'https://t.example', link_ttl: '30s' } }).join('\n'), /ack\.link_ttl: must be between 1m and 90d/);
  assert.match(problems({ ack: { secret: SECRET, public_url: 'https://t.example', ttl: '1h' } }).join('\n'), /ack: unknown key\(s\): ttl/);
  for (const p of [...short, ...problems({ ack: { secret: SECRET, public_url: 'nope' } })]) assert.ok(!p.includes(SECRET) && !p.includes('short-secret-value'));
});

test('ack.secret_file and ${ENV} work like every secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-ack-'));
  writeFileSync(join(dir, 'ack.secret'), `${SECRET}\n`);
  assert.equal(buildConfig({ ...base, ack: { secret_file: 'ack.secret', public_url: 'https://t.example' } }, {}, dir).ack?.secret, SECRET);
  assert.equal(buildConfig({ ...base, ack: { secret: '${ACK}', public_url: 'https://t.example' } }, { ACK: SECRET }, '/').ack?.secret, SECRET);
});

test('check-config warns about chat destinations without ack, and not with it', () => {
  const warned = buildConfig(base, {}, '/').warnings.find((w) => w.path === 'ack');
  assert.match(warned?.message ?? '', /notifications to chat carry no acknowledge link/);
  assert.equal(buildConfig({ ...base, ack: { secret: SECRET, public_url: 'https://t.example' } }, {}, '/').warnings.find((w) => w.path === 'ack'), undefined);
  const onlyIncident = { ...base, destinations: { oncall: { type: 'incident_io_alert_source', alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token: 'alert-source-token-0123456789' } } };
  assert.equal(buildConfig(onlyIncident, {}, '/').warnings.find((w) => w.path === 'ack'), undefined);
});

test('environment-only config: TOCSIN_ACK_SECRET (or _FILE) with TOCSIN_ACK_PUBLIC_URL', () => {
  const env = { TOCSIN_SOURCES: 'app', TOCSIN_SOURCE_APP_TOKEN: 'app-token-0123456789abc', INCIDENT_IO_ALERT_SOURCE_ID: '01GW2G3V0S59R238FAHPDS1R66', INCIDENT_IO_ALERT_SOURCE_TOKEN: 'alert-source-token-0123456789' };
  assert.equal(configFromEnv(env, '/').ack, undefined);
  assert.deepEqual(configFromEnv({ ...env, TOCSIN_ACK_SECRET: SECRET, TOCSIN_ACK_PUBLIC_URL: 'https://t.example' }, '/').ack, { secret: SECRET, publicUrl: 'https://t.example', linkTtlMs: 7 * 86_400_000 });
  assert.throws(() => configFromEnv({ ...env, TOCSIN_ACK_SECRET: SECRET }, '/'), /TOCSIN_ACK_PUBLIC_URL/);
  assert.throws(() => configFromEnv({ ...env, TOCSIN_ACK_SECRET: 'short', TOCSIN_ACK_PUBLIC_URL: 'https://t.example' }, '/'), (e: Error) => /TOCSIN_ACK_SECRET: must be at least 32/.test(e.message) && !e.message.includes('short,'));
});
