import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manualClock } from '../domain/clock.ts';
import { AlertStore, toAlertV2, type AlertEventInput } from './alert-store.ts';
import { schemaProblems } from './schema.ts';

function store() {
  const clock = manualClock(Date.parse('2024-05-01T10:00:00Z'));
  let n = 0;
  return { clock, alerts: new AlertStore(clock, () => `alert-${++n}`) };
}

const firing = (key: string, extra: Partial<AlertEventInput> = {}): AlertEventInput => ({ title: `t ${key}`, status: 'firing', deduplication_key: key, ...extra });
const resolved = (key: string): AlertEventInput => ({ title: `t ${key}`, status: 'resolved', deduplication_key: key });

describe('AlertStore dedup semantics', () => {
  it('collapses a repeat firing event into the active alert, latest content winning', () => {
    const { alerts, clock } = store();
    assert.equal(alerts.apply('s1', firing('k', { description: 'first', metadata: { a: 1 } })).effect, 'alert_created');
    clock.advance(1000);
    const second = alerts.apply('s1', firing('k', { title: 'new title', metadata: { b: 2 }, source_url: 'https://x' }));
    assert.equal(second.effect, 'alert_updated');
    assert.equal(alerts.all().length, 1);
    const alert = alerts.all()[0];
    assert.equal(alert?.title, 'new title');
    assert.equal(alert?.description, undefined);
    assert.deepEqual(alert?.metadata, { b: 2 });
    assert.equal(alert?.events, 2);
    assert.notEqual(alert?.updated_at, alert?.created_at);
  });

  it('resolves the active alert, keeps its content, and opens a new alert on the next firing event', () => {
    const { alerts } = store();
    alerts.apply('s1', firing('k'));
    const r = alerts.apply('s1', resolved('k'));
    assert.equal(r.effect, 'alert_resolved');
    assert.equal(alerts.all()[0]?.status, 'resolved');
    assert.ok(alerts.all()[0]?.resolved_at);
    assert.equal(alerts.all()[0]?.title, 't k');
    const again = alerts.apply('s1', firing('k'));
    assert.equal(again.effect, 'alert_created');
    assert.equal(alerts.all().length, 2);
    assert.notEqual(alerts.all()[1]?.id, alerts.all()[0]?.id);
  });

  it('accepts a resolve with no active alert and changes nothing', () => {
    const { alerts } = store();
    assert.equal(alerts.apply('s1', resolved('never-fired')).effect, 'no_active_alert');
    alerts.apply('s1', firing('k'));
    alerts.apply('s1', resolved('k'));
    assert.equal(alerts.apply('s1', resolved('k')).effect, 'no_active_alert');
    assert.equal(alerts.all().length, 1);
    assert.equal(alerts.all()[0]?.events, 2);
  });

  it('scopes keys to their alert source', () => {
    const { alerts } = store();
    alerts.apply('s1', firing('k'));
    assert.equal(alerts.apply('s2', firing('k')).effect, 'alert_created');
    assert.equal(alerts.apply('s2', resolved('k')).effect, 'alert_resolved');
    assert.equal(alerts.all()[0]?.status, 'firing');
  });

  it('renders a schema-valid AlertV2', () => {
    const { alerts } = store();
    alerts.apply('s1', firing('k', { description: 'd', source_url: 'https://example.com', metadata: { team: ['x'] } }));
    alerts.apply('s1', resolved('k'));
    const view = toAlertV2(alerts.all()[0]!);
    assert.deepEqual(schemaProblems('AlertV2', view), []);
    assert.equal('metadata' in view, false);
  });
});
