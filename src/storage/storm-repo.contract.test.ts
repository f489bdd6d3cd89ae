/**
 * storm-repo.ts on SQLite and PostgreSQL alike: the backlog counted in chunks up to a cap, its breakdown, and the
 * summary alert's lookups. (These cases ran on SQLite alone in storm-repo.test.ts.)
 */
import assert from 'node:assert/strict';
import { alertRow, contract, deliveryRow, seedDeliveries, type NewDeliveryRow } from '../../test/storage-dialects.ts';
import { SEVERITIES, severityRank } from '../domain/alert.ts';
import { STORM_PRIORITY } from '../domain/storm.ts';
import { insertTransition } from './alerts-repo.ts';
import type { Db, DeliveryStatus, NewAlertRow } from './schema.ts';
import { backlogBreakdown, countBacklog, findSummaryAlert, lastActor } from './storm-repo.ts';

async function insertAlerts(db: Db, alerts: NewAlertRow[]): Promise<void> {
  for (let i = 0; i < alerts.length; i += 500) await db.insertInto('alerts').values(alerts.slice(i, i + 500)).execute();
}

/** A backlog larger than one read (2,000 rows) in every severity and both queued statuses, plus rows that are not queued. */
async function backlog(db: Db): Promise<void> {
  const alert = (id: string, source: string, severity: string | null, title: string, labels: object) =>
    alertRow(id, { source, severity, title, labels: JSON.stringify(labels), created_at: 0, updated_at: 0, last_event_at: 0 });
  const delivery = (alertId: string, status: DeliveryStatus, priority: number, destination = 'pager') => deliveryRow(alertId, { status, priority, destination, attempts: 0 });
  const alerts: NewAlertRow[] = [];
  const deliveries: NewDeliveryRow[] = [];
  for (let i = 0; i < 5_000; i++) {
    const severity = i % 5 === 4 ? null : SEVERITIES[i % 5]!;
    alerts.push(alert(`A${i}`, i % 3 ? 'prom' : 'dbt', severity, `T${i % 7}`, { team: [i % 2 ? 'data' : 'web'] }));
    deliveries.push(delivery(`A${i}`, i % 100 === 0 ? 'in_flight' : 'pending', severityRank(severity)));
  }
  alerts.push(alert('SUMMARY', 'tocsin:storm', 'critical', 'storm', {}), alert('DONE', 'prom', 'critical', 'done', {}));
  deliveries.push(delivery('SUMMARY', 'pending', STORM_PRIORITY), delivery('DONE', 'delivered', 4), delivery('DONE', 'pending', 4, 'other'));
  await insertAlerts(db, alerts);
  await seedDeliveries(db, deliveries);
}

contract('the backlog count stops at its cap and leaves the summary, sent rows and other destinations out', async ({ db }) => {
  await backlog(db);
  assert.equal(await countBacklog(db, 'pager', 'SUMMARY', 241), 241);
  assert.equal(await countBacklog(db, 'pager', 'SUMMARY', 1_000_000), 5_000);
  assert.equal(await countBacklog(db, 'pager', undefined, 1_000_000), 5_001);
  assert.equal(await countBacklog(db, 'nowhere', undefined, 10), 0);
});

contract('the breakdown read in chunks counts every queued row once', async ({ db }) => {
  await backlog(db);
  const b = await backlogBreakdown(db, 'pager', 'SUMMARY', ['team']);
  assert.equal(b.total, 5_000);
  assert.deepEqual(b.bySeverity, { critical: 1_000, error: 1_000, warning: 1_000, info: 1_000, unknown: 1_000 });
  assert.deepEqual(b.bySource, { dbt: 1_667, prom: 3_333 });
  assert.deepEqual(b.topGroups[0], { title: 'T0', count: 715 });
  assert.deepEqual(b.labelGroups, [
    { labels: { team: 'data' }, count: 2_500 },
    { labels: { team: 'web' }, count: 2_500 },
  ]);
  assert.deepEqual(await backlogBreakdown(db, 'nowhere', undefined, []), { total: 0, bySeverity: {}, bySource: {}, topGroups: [], labelGroups: [] });
});

contract('a count past one chunk (5,000 index entries) goes on where the last one stopped', async ({ db }) => {
  await insertAlerts(db, [alertRow('A')]);
  // Rows of one alert, one priority: only the id keyset separates the chunks.
  await seedDeliveries(db, Array<NewDeliveryRow>(11_000).fill(deliveryRow('A', { priority: 2 })));
  assert.equal(await countBacklog(db, 'pager', undefined, 1_000_000), 11_000);
  assert.equal(await countBacklog(db, 'pager', undefined, 10_001), 10_001);
  assert.equal(await countBacklog(db, 'pager', undefined, 5_000), 5_000);
  assert.equal(await countBacklog(db, 'pager', 'A', 1_000_000), 0);
});

contract("the summary alert is found by (source, destination); lastActor names who wrote the alert's latest transition", async ({ db }) => {
  await insertAlerts(db, [alertRow('S1', { source: 'tocsin:storm', dedup_key: 'pager' }), alertRow('S2', { source: 'tocsin:storm', dedup_key: 'log' }), alertRow('P1', { source: 'prom', dedup_key: 'pager' })]);
  assert.equal((await findSummaryAlert(db, 'tocsin:storm', 'pager'))?.id, 'S1');
  assert.deepEqual(await findSummaryAlert(db, 'tocsin:storm', 'pager'), alertRow('S1', { source: 'tocsin:storm', dedup_key: 'pager' }));
  assert.equal(await findSummaryAlert(db, 'tocsin:storm', 'other'), undefined);
  assert.equal(await lastActor(db, 'S1'), undefined);
  const t = { alert_id: 'S1', episode: 1, kind: 'created', from_state: null, to_state: 'firing', content: '{}', at: 1 };
  await insertTransition(db, { ...t, actor: 'tocsin' });
  await insertTransition(db, { ...t, alert_id: 'S2', actor: 'other' });
  assert.equal(await lastActor(db, 'S1'), 'tocsin');
  await insertTransition(db, { ...t, kind: 'resolved', to_state: 'resolved', actor: 'api', at: 0 });
  assert.equal(await lastActor(db, 'S1'), 'api', 'the latest written, not the latest timestamp');
});
