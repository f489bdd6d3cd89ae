import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEVERITIES, severityRank } from '../domain/alert.ts';
import { STORM_PRIORITY } from '../domain/storm.ts';
import type { DeliveryStatus } from './schema.ts';
import { openSqlite } from './sqlite.ts';
import { backlogBreakdown, countBacklog } from './storm-repo.ts';

/** A backlog larger than one read (2,000 rows) in every severity and both queued statuses, plus rows that are not queued. */
async function backlog() {
  const db = await openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'tocsin-storm-repo-')), 't.db') });
  const alert = (id: string, source: string, severity: string | null, title: string, labels: object) => ({
    id, source, dedup_key: id, external_key: `${source}:${id}`, state: 'firing' as const, episode: 1, title, description: null, severity, metadata: '{}',
    source_url: null, content_hash: 'h', routed_to: '["pager"]', labels: JSON.stringify(labels), parser_labels: null, route_override: null,
    event_count: 1, created_at: 0, updated_at: 0, last_event_at: 0, resolved_at: null, acknowledged_at: null,
  });
  const delivery = (alertId: string, status: DeliveryStatus, priority: number, destination = 'pager') => ({
    destination, alert_id: alertId, episode: 1, status, payload: '{}', priority, attempts: 0, next_attempt_at: 0, created_at: 0, updated_at: 0,
  });
  const alerts = [], deliveries = [];
  for (let i = 0; i < 5_000; i++) {
    const severity = i % 5 === 4 ? null : SEVERITIES[i % 5]!;
    alerts.push(alert(`A${i}`, i % 3 ? 'prom' : 'dbt', severity, `T${i % 7}`, { team: [i % 2 ? 'data' : 'web'] }));
    deliveries.push(delivery(`A${i}`, i % 100 === 0 ? 'in_flight' : 'pending', severityRank(severity)));
  }
  alerts.push(alert('SUMMARY', 'tocsin:storm', 'critical', 'storm', {}), alert('DONE', 'prom', 'critical', 'done', {}));
  deliveries.push(delivery('SUMMARY', 'pending', STORM_PRIORITY), delivery('DONE', 'delivered', 4), delivery('DONE', 'pending', 4, 'other'));
  for (let i = 0; i < alerts.length; i += 500) await db.insertInto('alerts').values(alerts.slice(i, i + 500)).execute();
  for (let i = 0; i < deliveries.length; i += 500) await db.insertInto('deliveries').values(deliveries.slice(i, i + 500)).execute();
  return db;
}

test('the backlog count stops at its cap and leaves the summary, sent rows and other destinations out', async () => {
  const db = await backlog();
  assert.equal(await countBacklog(db, 'pager', 'SUMMARY', 241), 241);
  assert.equal(await countBacklog(db, 'pager', 'SUMMARY', 1_000_000), 5_000);
  assert.equal(await countBacklog(db, 'pager', undefined, 1_000_000), 5_001);
  assert.equal(await countBacklog(db, 'nowhere', undefined, 10), 0);
});

test('the breakdown read in chunks counts every queued row once', async () => {
  const db = await backlog();
  const b = await backlogBreakdown(db, 'pager', 'SUMMARY', ['team']);
  assert.equal(b.total, 5_000);
  assert.deepEqual(b.bySeverity, { critical: 1_000, error: 1_000, warning: 1_000, info: 1_000, unknown: 1_000 });
  assert.deepEqual(b.bySource, { dbt: 1_667, prom: 3_333 });
  assert.deepEqual(b.topGroups[0], { title: 'T0', count: 715 });
  assert.deepEqual(b.labelGroups, [
    { labels: { team: 'data' }, count: 2_500 },
    { labels: { team: 'web' }, count: 2_500 },
  ]);
});

test('a count past one chunk (5,000 index entries) goes on where the last one stopped', async () => {
  const db = await openSqlite({ path: join(mkdtempSync(join(tmpdir(), 'tocsin-storm-repo-')), 't.db') });
  await db
    .insertInto('alerts')
    .values({
      id: 'A', source: 'prom', dedup_key: 'A', external_key: 'prom:A', state: 'firing', episode: 1, title: 't', description: null, severity: 'warning', metadata: '{}',
      source_url: null, content_hash: 'h', routed_to: '["pager"]', labels: '{}', parser_labels: null, route_override: null,
      event_count: 1, created_at: 0, updated_at: 0, last_event_at: 0, resolved_at: null, acknowledged_at: null,
    })
    .execute();
  // Rows of one alert, one priority: only the id keyset separates the chunks.
  const row = { destination: 'pager', alert_id: 'A', episode: 1, status: 'pending' as const, payload: '{}', priority: 2, attempts: 0, next_attempt_at: 0, created_at: 0, updated_at: 0 };
  for (let i = 0; i < 11_000; i += 1_000) await db.insertInto('deliveries').values(Array(1_000).fill(row)).execute();
  assert.equal(await countBacklog(db, 'pager', undefined, 1_000_000), 11_000);
  assert.equal(await countBacklog(db, 'pager', undefined, 10_001), 10_001);
  assert.equal(await countBacklog(db, 'pager', undefined, 5_000), 5_000);
  assert.equal(await countBacklog(db, 'pager', 'A', 1_000_000), 0);
});
