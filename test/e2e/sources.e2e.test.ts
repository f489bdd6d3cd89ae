import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, CLI, Emulator, ROOT, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

// One gateway with a source of each type from issue 5, all delivering to the emulator's alert source.
const TOKENS = {
  am: 'alertmanager-source-token-0123',
  dbt: 'dbt-source-token-0123456789ab',
  versus: 'versus-source-token-012345678',
  shop: 'webhook-source-token-01234567',
  app: 'alerts-source-token-0123456789',
};

const sample = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));
const amSample = (n: string) => sample(`src/sources/alertmanager/testdata/${n}`);
const DBT_TESTDATA = join(ROOT, 'src/sources/dbt/testdata');

describe('source types end to end (gateway + emulator)', () => {
  let emu: Emulator;
  let gw: TocsinProcess;
  let dir: string;

  const ingest = (source: keyof typeof TOKENS, body: unknown, query = '') => http('POST', `${gw.url}/ingest/${source}${query}`, { token: TOKENS[source], body });
  const alertIn = (key: string, status: string) => waitFor(`${key} ${status} in incident.io`, async () => (await emu.alerts()).find((a) => a.deduplication_key === key && a.status === status));
  const stored = async (source: string) => (await http('GET', `${gw.url}/api/v1/alerts?source=${source}&limit=200`, { token: ADMIN_TOKEN })).body.alerts as any[];

  before(async () => {
    emu = await Emulator.start();
    dir = tempDir();
    const port = await freePort();
    const sources = {
      am: { type: 'alertmanager', token: TOKENS.am },
      dbt: { type: 'dbt', token: TOKENS.dbt, environment: 'ci', link_template: 'https://docs.example.com/#!/{resource_type}/{unique_id}' },
      versus: { type: 'versus', token: TOKENS.versus },
      app: { type: 'alerts', token: TOKENS.app },
      shop: { type: 'webhook', token: TOKENS.shop, title: 'check & " is down"', dedup_key: 'check', resolved_when: "state = 'up'", severity: 'level', exclude: ['secret'] },
    };
    gw = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { sources, delivery: { poll_interval: '100ms' } })), { port });
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  test('alertmanager: the three real notifications of one group, each alert by its own status', async () => {
    const r1 = await ingest('am', amSample('webhook-v4-1-firing.json'));
    assert.equal(r1.status, 202, r1.text);
    assert.deepEqual(r1.body.results.map((r: any) => r.result), ['created', 'created']);
    const host1 = await alertIn('am:4cad96182c5f90ff', 'firing');
    await alertIn('am:42204f712b672566', 'firing');
    assert.equal(host1.title, 'CPU above 90% for 5m');

    const r2 = await ingest('am', amSample('webhook-v4-2-firing.json'));
    assert.deepEqual(r2.body.results.map((r: any) => r.result), ['resolved', 'unchanged']);
    await alertIn('am:4cad96182c5f90ff', 'resolved');

    const r3 = await ingest('am', amSample('webhook-v4-3-resolved.json'));
    assert.deepEqual(r3.body.results.map((r: any) => r.result), ['resolved']);
    await alertIn('am:42204f712b672566', 'resolved');
  });

  test('dbt: tocsin dbt uploads a real run with its manifest; a later passing run resolves', async () => {
    const target = tempDir('tocsin-dbt-target-');
    copyFileSync(join(DBT_TESTDATA, 'opendatahub-1.5-run_results.json'), join(target, 'run_results.json'));
    copyFileSync(join(DBT_TESTDATA, 'opendatahub-1.5-manifest.json'), join(target, 'manifest.json'));
    const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI, 'dbt', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TOCSIN_SOURCE_TOKEN: TOKENS.dbt } });

    const first = cli([join(target, 'run_results.json'), '--gateway', gw.url]);
    assert.doesNotMatch(first.stderr, /unknown command 'dbt'/, 'src/cli/main.ts must call registerDbtCommand(program) from ./dbt-command.ts');
    assert.equal(first.status, 0, first.stderr + first.stdout);
    assert.match(first.stdout, /10 results → 10 alerts to source "dbt": 3 created, 0 updated, 0 resolved, 7 unchanged/);
    assert.ok(!first.stdout.includes(TOKENS.dbt) && !first.stderr.includes(TOKENS.dbt));
    const key = 'dbt:test.transform.not_null_gppd_power_plants_list_year_of_capacity_data.1a3165a676';
    const alert = await alertIn(key, 'firing');
    assert.equal(alert.title, 'dbt test failed: not_null_gppd_power_plants_list_year_of_capacity_data (gppd_power_plants_list)');
    assert.equal((await stored('dbt')).filter((a) => a.state === 'firing').length, 3);

    // The next run: every test passes.
    const run = JSON.parse(readFileSync(join(target, 'run_results.json'), 'utf8'));
    for (const r of run.results) {
      r.status = 'pass';
      r.failures = 0;
    }
    run.metadata.invocation_id = 'a-later-run';
    writeFileSync(join(target, 'run_results.json'), JSON.stringify(run));
    const second = cli([join(target, 'run_results.json'), '--gateway', gw.url, '--source', 'dbt']);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /0 created, 0 updated, 3 resolved, 7 unchanged/);
    await alertIn(key, 'resolved');

    const wrongToken = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'dbt', join(target, 'run_results.json'), '--gateway', gw.url, '--token', 'not-the-dbt-token-at-all'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(wrongToken.status, 1);
    assert.match(wrongToken.stderr, /401/);
    assert.equal(cli([join(target, 'missing.json'), '--gateway', gw.url]).status, 2);
  });

  test('versus: a CloudWatch alarm via SNS fires to a named destination, OK resolves it', async () => {
    const alarm = (state: string) => ({
      Type: 'Notification', MessageId: 'm1', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms', Subject: `${state}: "queue-depth"`,
      Message: JSON.stringify({ AlarmName: 'queue-depth', AWSAccountId: '123456789012', NewStateValue: state, NewStateReason: 'Threshold Crossed', Region: 'EU (Ireland)', AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:queue-depth', OldStateValue: 'OK', Trigger: { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS' } }),
    });
    const fired = await ingest('versus', alarm('ALARM'), '?incidentio_other_alert_source=oncall');
    assert.equal(fired.status, 202, fired.text);
    const key = 'versus:arn:aws:cloudwatch:eu-west-1:123456789012:alarm:queue-depth';
    const a = await alertIn(key, 'firing');
    assert.equal(a.title, 'queue-depth');
    assert.equal((await ingest('versus', alarm('OK'))).status, 202);
    await alertIn(key, 'resolved');
    // INSUFFICIENT_DATA says nothing by default: accepted, no alert touched.
    const unknown = await ingest('versus', alarm('INSUFFICIENT_DATA'));
    assert.equal(unknown.status, 202, unknown.text);
    assert.deepEqual(unknown.body.results, []);

    // A raw ID or a name that is not configured never loses the alert: it is routed, and the answer says why.
    const raw = await ingest('versus', alarm('ALARM'), `?destination=${emu.source.id}`);
    assert.equal(raw.status, 202, raw.text);
    assert.match(raw.body.warnings[0], /looks like an incident\.io ID, ignored: routed by the routes instead\. Only configured destination names are accepted/);
    const notConfigured = await ingest('versus', alarm('ALARM'), '?destination=nowhere');
    assert.equal(notConfigured.status, 202, notConfigured.text);
    assert.match(notConfigured.body.warnings[0], /unknown destination "nowhere" ignored/);
  });

  test('versus: its own path /api/incidents works unchanged, with the same token rules', async () => {
    const body = { title: 'orders: pool exhausted', Logs: '[ERROR] pool exhausted', dedup_key: 'orders-pool' };
    const r = await http('POST', `${gw.url}/api/incidents`, { token: TOKENS.versus, body });
    assert.equal(r.status, 202, r.text);
    await alertIn('versus:orders-pool', 'firing');
    const named = await http('POST', `${gw.url}/api/incidents?source=versus`, { token: TOKENS.versus, body: { ...body, status: 'resolved' } });
    assert.equal(named.status, 202, named.text);
    await alertIn('versus:orders-pool', 'resolved');
    assert.equal((await http('POST', `${gw.url}/api/incidents`, { body })).status, 401);
    assert.equal((await http('POST', `${gw.url}/api/incidents?source=nope`, { token: TOKENS.versus, body })).status, 401);
  });

  test('webhook: a jsonata mapping fires and resolves', async () => {
    const down = await ingest('shop', { check: 'checkout', state: 'down', level: 'critical', secret: 's3cr3t-value' });
    assert.equal(down.status, 202, down.text);
    const a = await alertIn('shop:checkout', 'firing');
    assert.equal(a.title, 'checkout is down');
    const [row] = (await stored('shop')).filter((x) => x.dedup_key === 'checkout');
    assert.equal(row.severity, 'critical');
    assert.equal(row.metadata.secret, undefined);
    await ingest('shop', { check: 'checkout', state: 'up' });
    await alertIn('shop:checkout', 'resolved');
  });

  test('a truly malformed body is a 400 naming the field, and nothing is written or sent, not even its good alerts', async () => {
    const before = { stored: (await stored('app')).length, sent: (await emu.requests()).length };
    const r = await ingest('app', [{ title: 'A good alert', dedup_key: 'good-one' }, { title: 3 }, { status: 'firing' }]);
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'invalid_body');
    assert.deepEqual(r.body.error.details.problems, [
      { field: '[1].title', message: 'must be a string' },
      { field: '[2].title', message: 'required (and there is no description or dedup_key to take one from)' },
    ]);
    await new Promise((res) => setTimeout(res, 400));
    assert.equal((await stored('app')).length, before.stored);
    assert.equal((await emu.requests()).length, before.sent);
  });
});
