/** The web UI's summaries on SQLite and PostgreSQL alike: grouped counts, hourly buckets, the change marks. */
import assert from 'node:assert/strict';
import { alertRow, contract, deliveryRow, seedDeliveries } from '../../test/storage-dialects.ts';
import { alertCountsBySourceAndState, attemptsByHour, changeMarks } from './overview-repo.ts';
import { expireSilence, insertSilence } from './silences-repo.ts';

const H = 3_600_000;
const T0 = 1_764_000_000_000 - (1_764_000_000_000 % H); // an hour's start

contract('alerts are counted by source and state', async ({ db }) => {
  await db.insertInto('alerts').values([alertRow('a1'), alertRow('a2'), alertRow('a3', { state: 'resolved' }), alertRow('a4', { source: 'dbt', state: 'acknowledged' })]).execute();
  assert.deepEqual(
    (await alertCountsBySourceAndState(db)).sort((x, y) => `${x.source}${x.state}`.localeCompare(`${y.source}${y.state}`)),
    [
      { source: 'dbt', state: 'acknowledged', n: 1 },
      { source: 'prom', state: 'firing', n: 2 },
      { source: 'prom', state: 'resolved', n: 1 },
    ],
  );
});

contract('attempts are bucketed by destination, outcome and hour since a time; changes move the marks', async ({ db }) => {
  await db.insertInto('alerts').values(alertRow('a1')).execute();
  const before = await changeMarks(db);
  const [id] = await seedDeliveries(db, [deliveryRow('a1')]);
  const afterDelivery = await changeMarks(db);
  assert.notEqual(afterDelivery, before);
  const attempt = (at: number, outcome: 'delivered' | 'retry' | 'failed', destination = 'pager') => ({ delivery_id: id!, destination, at, outcome, status_code: 202, latency_ms: 5, request_id: null, error: null });
  await db
    .insertInto('delivery_attempts')
    .values([attempt(T0 - 1, 'delivered'), attempt(T0, 'delivered'), attempt(T0 + H - 1, 'delivered'), attempt(T0 + 10, 'failed'), attempt(T0 + H, 'retry'), attempt(T0 + H + 5, 'delivered', 'other')])
    .execute();
  assert.notEqual(await changeMarks(db), afterDelivery);
  const rows = (await attemptsByHour(db, T0)).sort((x, y) => x.hour - y.hour || `${x.destination}${x.outcome}`.localeCompare(`${y.destination}${y.outcome}`));
  assert.deepEqual(rows, [
    { destination: 'pager', outcome: 'delivered', hour: T0, n: 2 },
    { destination: 'pager', outcome: 'failed', hour: T0, n: 1 },
    { destination: 'other', outcome: 'delivered', hour: T0 + H, n: 1 },
    { destination: 'pager', outcome: 'retry', hour: T0 + H, n: 1 },
  ]);
  await db.insertInto('transitions').values({ alert_id: 'a1', episode: 1, kind: 'acknowledged', from_state: 'firing', to_state: 'acknowledged', actor: 'api', content: '{}', at: T0 }).execute();
  const marks = await changeMarks(db);
  assert.match(marks, /^1\.1\.6\.0\.0$/);
  // A silence made, then expired: neither adds a transition, a delivery or an attempt.
  await insertSilence(db, { id: 'S1', matchers: '[]', starts_at: T0, ends_at: T0 + H, created_by: 'kim', comment: 'deploy', created_at: T0, updated_at: T0, expired_at: null });
  const made = await changeMarks(db);
  assert.notEqual(made, marks);
  await expireSilence(db, 'S1', T0 + 5);
  assert.notEqual(await changeMarks(db), made);
});
