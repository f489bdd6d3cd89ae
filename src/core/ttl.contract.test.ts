/** `resolve_after` on SQLite and PostgreSQL alike: only active alerts whose stale_at passed, resolved once. */
import assert from 'node:assert/strict';
import { alertRow, contract } from '../../test/storage-dialects.ts';
import { findAlert, insertAlert, listTransitions } from '../storage/alerts-repo.ts';
import { listDeliveries } from '../storage/deliveries-repo.ts';
import type { Db } from '../storage/schema.ts';
import { resolveStale } from './ttl.ts';

const T0 = 1_764_000_000_000;
const HOUR = 3_600_000;
const run = (db: Db, now: number) => db.transaction().execute((tx) => resolveStale(tx, now, new Set(['oncall'])));

contract('an active alert whose time to live ran out is resolved and its resolve queued where it went; nothing else', async ({ db }) => {
  const at = (id: string, over: Parameters<typeof alertRow>[1]) => insertAlert(db, alertRow(id, { routed_to: '["oncall"]', ...over }));
  const ttl = (last: number) => ({ last_event_at: last, stale_at: last + 4 * HOUR });
  await at('OLD', { source: 'logs', ...ttl(T0 - 5 * HOUR) });
  await at('ACK', { source: 'logs', state: 'acknowledged', ...ttl(T0 - 5 * HOUR) });
  await at('NEW', { source: 'logs', ...ttl(T0 - HOUR) });
  await at('DONE', { source: 'logs', state: 'resolved', ...ttl(T0 - 9 * HOUR) });
  await at('PROM', { source: 'prom', last_event_at: T0 - 9 * HOUR });
  const r = await run(db, T0);
  assert.deepEqual([r.resolved, [...r.woken]], [2, ['oncall']]);
  for (const [id, state] of [['OLD', 'resolved'], ['ACK', 'resolved'], ['NEW', 'firing'], ['DONE', 'resolved'], ['PROM', 'firing']] as const) {
    assert.equal((await findAlert(db, id))!.state, state, id);
  }
  const [t] = (await listTransitions(db, 'OLD')).slice(-1);
  assert.deepEqual([t!.kind, t!.actor, JSON.parse(t!.content).reason], ['resolved', 'ttl', 'resolve_after']);
  assert.deepEqual((await listDeliveries(db, { limit: 10 })).map((d) => [d.alert_id, d.destination, JSON.parse(d.payload).status]).sort(), [
    ['ACK', 'oncall', 'resolved'],
    ['OLD', 'oncall', 'resolved'],
  ]);
  assert.equal((await run(db, T0 + 1)).resolved, 0, 'once');
  assert.equal((await findAlert(db, 'DONE'))!.stale_at, null, 'a stray due time on a resolved alert is cleared, not read every tick');
});
