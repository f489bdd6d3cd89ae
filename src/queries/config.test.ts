import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig, ConfigError } from '../config/load.ts';
import { maskUrl, scrubSecrets } from './databases/url.ts';

const doc = (queries: unknown[], databases: Record<string, unknown> = { warehouse: { url: 'postgres://u:s3cret@db:5432/w' } }) => ({ databases, queries });
const problems = (d: unknown) => {
  try {
    buildConfig(d, {}, '/tmp');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
};

test('the config keys as the issue writes them, with defaults', () => {
  const c = buildConfig(doc([{ name: 'stale-orders', database: 'warehouse', sql: 'select 1', every: '5m', group_by: ['region'], severity: 'warning', title: 'Stale orders in {{region}}', max_rows: 100, timeout: '30s' }, { name: 'nightly', database: 'warehouse', sql: 'select 1', cron: '0 9 * * *', timezone: 'Europe/Paris' }]), {}, '/tmp');
  const [a, b] = c.queries.queries;
  assert.deepEqual(a!.schedule, { everyMs: 300_000 });
  assert.deepEqual([a!.groupBy, a!.maxRows, a!.timeoutMs, a!.alertAfterFailures], [['region'], 100, 30_000, 3]);
  assert.deepEqual(b!.schedule, { cron: '0 9 * * *', timezone: 'Europe/Paris' });
  assert.equal(b!.severity, 'warning');
  assert.equal(c.queries.databases.get('warehouse')!.kind, 'postgres');
});

test('mistakes name the key path, and never quote the database url', () => {
  const out = problems(
    doc(
      [
        { name: 'a', database: 'nope', sql: 'select 1', every: '1m' },
        { name: 'b', database: 'warehouse', sql: 'select 1' },
        { name: 'c', database: 'warehouse', sql: 'select 1', every: '1m', cron: '* * * * *' },
        { name: 'd', database: 'warehouse', sql: 'select 1', cron: 'every day' },
        { name: 'e', database: 'warehouse', sql: 'select 1', cron: '* * * * *', timezone: 'Mars/Olympus' },
        { name: 'a', database: 'warehouse', sql: 'select 1', every: '500ms' },
      ],
      { warehouse: { url: 'postgres://u:s3cret@db/w' }, bad: { url: 'mysql://u:hunter22@db/w' } },
    ),
  );
  const text = out.join('\n');
  assert.match(text, /queries\.5\.every: must be at least 1s/);
  assert.ok(!text.includes('hunter22') && !text.includes('s3cret'), text);
  const second = problems(doc([{ name: 'a', database: 'nope', sql: 'select 1', every: '1m' }, { name: 'd', database: 'warehouse', sql: 'select 1', cron: 'every day' }, { name: 'e', database: 'warehouse', sql: 'select 1', cron: '* * * * *', timezone: 'Mars/Olympus' }, { name: 'a', database: 'warehouse', sql: 'select 1', every: '1m' }], { warehouse: { url: 'postgres://u:s3cret@db/w' }, bad: { url: 'mysql://u:hunter22@db/w' } })).join('\n');
  assert.match(second, /databases\.bad\.url: must start with postgres/);
  assert.match(second, /queries\[0\]\.database: unknown database "nope"/);
  assert.match(second, /queries\[1\]\.cron: not a cron expression/);
  assert.match(second, /queries\[2\]\.timezone: unknown time zone/);
  assert.match(second, /queries\[3\]\.name: another query is named "a"/);
  assert.ok(!second.includes('hunter22'));
  assert.match(problems(doc([{ name: 'b', database: 'warehouse', sql: 'select 1' }])).join(), /queries\.0\.every: give the schedule as every/);
  assert.match(problems(doc([{ name: 'b:c', database: 'warehouse', sql: 'select 1', every: '1m' }])).join(), /queries\.0\.name: query names use/);
});

test('a url is shown masked; a driver message quoting it is scrubbed', () => {
  assert.equal(maskUrl('postgres://alice:s3cret@db.internal:5432/shop?sslmode=require&password=x'), 'postgres://***@db.internal:5432/shop');
  assert.equal(maskUrl('sqlite:/var/data/app.db'), 'sqlite:/var/data/app.db');
  const url = 'postgresql://alice:p%40ss@db/shop';
  assert.equal(scrubSecrets(`cannot connect to ${url} (password p@ss rejected)`, url), 'cannot connect to postgresql://***@db/shop (password *** rejected)');
});
