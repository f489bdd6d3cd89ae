import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { call } from '../emulator/test-client.ts';
import { emulatorOptionsFrom, parseAlertSourceFlag, parseApiKeyFlag, registerEmulatorCommand, startupBanner } from './emulator-command.ts';

const none = { alertSource: [], apiKey: [] };

describe('tocsin emulator options', () => {
  it('parses --alert-source ID=TOKEN and --api-key KEY[:scope,scope]', () => {
    assert.deepEqual(parseAlertSourceFlag('01ABC=s3cr=et'), { id: '01ABC', token: 's3cr=et' });
    assert.throws(() => parseAlertSourceFlag('01ABC'));
    assert.throws(() => parseAlertSourceFlag('=tok'));
    assert.deepEqual(parseApiKeyFlag('key'), { key: 'key' });
    assert.deepEqual(parseApiKeyFlag('key:incidents.create, incidents.view'), { key: 'key', scopes: ['incidents.create', 'incidents.view'] });
    assert.deepEqual(parseApiKeyFlag('key:'), { key: 'key', scopes: [] });
  });

  it('defaults to 127.0.0.1:8090 with generated credentials', () => {
    const options = emulatorOptionsFrom(none);
    assert.equal(options.host, '127.0.0.1');
    assert.equal(options.port, 8090);
    assert.equal(options.alertSources, undefined);
    assert.equal(options.apiKeys, undefined);
  });

  it('reads a YAML config with ${ENV} and *_file secrets; flags win and add to it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tocsin-emulator-'));
    writeFileSync(join(dir, 'key.txt'), 'key-from-file\n');
    const file = join(dir, 'emulator.yaml');
    writeFileSync(
      file,
      [
        'port: 9000',
        'alert_events_per_minute: 30',
        'alert_sources:',
        '  - { id: SRC1, token: "${SRC_TOKEN}", name: Prometheus }',
        'api_keys:',
        '  - { api_key_file: key.txt, name: tocsin, scopes: [incidents.create] }',
      ].join('\n'),
    );
    const options = emulatorOptionsFrom({ ...none, config: file, port: '9100', alertSource: ['SRC2=tok2'] }, { SRC_TOKEN: 'tok1' });
    assert.equal(options.port, 9100);
    assert.equal(options.alertEventsPerMinute, 30);
    assert.deepEqual(options.alertSources, [{ id: 'SRC1', token: 'tok1', name: 'Prometheus' }, { id: 'SRC2', token: 'tok2' }]);
    assert.deepEqual(options.apiKeys, [{ key: 'key-from-file', name: 'tocsin', scopes: ['incidents.create'] }]);

    writeFileSync(file, 'alert_sources:\n  - { id: S, token: "${MISSING_VAR}" }\nport: nope\n');
    assert.throws(() => emulatorOptionsFrom({ ...none, config: file }, {}), /alert_sources\[0\]\.token[\s\S]*port/);
  });

  it('prints generated secrets and a sample curl, but never secrets the user supplied', () => {
    const emulator = {
      url: 'http://127.0.0.1:8090',
      alertSources: [{ id: 'SRC', token: 'user-token', name: 'src' }],
      apiKeys: [{ key: 'generated-key', name: 'emulator', scopes: ['incidents.view'] }],
      close: async () => {},
    };
    const banner = startupBanner(emulator, { alertSources: [{ id: 'SRC', token: 'user-token' }] });
    assert.ok(!banner.includes('user-token'));
    assert.ok(banner.includes('generated-key'));
    assert.match(banner, /curl -sS -X POST 'http:\/\/127\.0\.0\.1:8090\/v2\/alert_events\/http\/SRC'/);
  });
});

describe('tocsin emulator command', () => {
  it('serves until SIGTERM, then stops cleanly', async () => {
    const program = new Command().exitOverride();
    const output: string[] = [];
    registerEmulatorCommand(program, { write: (text: string) => output.push(text) });
    const running = program.parseAsync(['node', 'tocsin', 'emulator', '--port', '0', '--api-key', 'cli-key:severities.view']);
    while (!output.join('').includes('listening on')) await new Promise((r) => setTimeout(r, 10));
    const url = /listening on (http:\/\/\S+)/.exec(output.join(''))?.[1] as string;
    assert.equal((await call(url, 'GET', '/v1/severities', { bearer: 'cli-key' })).status, 200);
    assert.equal((await call(url, 'GET', '/v1/incident_statuses', { bearer: 'cli-key' })).status, 403);
    process.kill(process.pid, 'SIGTERM');
    await running;
    await assert.rejects(call(url, 'GET', '/_emulator/status'));
    assert.ok(!output.join('').includes('cli-key'), 'a supplied key is not printed');
  });
});
