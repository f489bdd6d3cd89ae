import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manualClock } from '../domain/clock.ts';
import { ALL_SCOPES, EmulatorState } from './state.ts';

const fresh = () => new EmulatorState({ clock: manualClock(0) });

describe('EmulatorState credentials', () => {
  it('generates ids, secrets, names and all scopes when nothing is given', () => {
    const state = fresh();
    const source = state.addAlertSource();
    const key = state.addApiKey();
    assert.ok(source.ok && key.ok);
    assert.match(source.value.id, /^[0-9A-HJKMNP-TV-Z]{26}$/, 'a ULID, like incident.io ids');
    assert.ok(source.value.token.length >= 32);
    assert.deepEqual(key.value.scopes, [...ALL_SCOPES]);
    assert.notEqual(key.value.id, key.value.key, 'the public id is not the secret');
    assert.equal(state.alertSourceByToken(source.value.token)?.id, source.value.id);
  });

  it('refuses a duplicate source id and any secret already used by a source or a key', () => {
    const state = fresh();
    assert.ok(state.addAlertSource({ id: 'S1', token: 'shared' }).ok);
    assert.equal(state.addAlertSource({ id: 'S1', token: 'other' }).ok, false);
    assert.equal(state.addAlertSource({ id: 'S2', token: 'shared' }).ok, false);
    assert.equal(state.addApiKey({ key: 'shared' }).ok, false);
    assert.ok(state.addApiKey({ key: 'k1', scopes: [] }).ok);
    assert.equal(state.addAlertSource({ id: 'S3', token: 'k1' }).ok, false);
    assert.deepEqual(state.apiKey('k1')?.scopes, []);
  });

  it('reset forgets alerts and incidents but keeps credentials', () => {
    const state = fresh();
    state.addAlertSource({ id: 'S1', token: 't' });
    state.addApiKey({ key: 'k' });
    state.alerts.apply('S1', { title: 'x', status: 'firing', deduplication_key: 'k' });
    state.incidents.create({ idempotency_key: 'i', visibility: 'public', severity_id: state.incidents.org.severities[0]!.id }, { api_key: { id: 'a', name: 'k' } });
    state.reset();
    assert.equal(state.alerts.all().length, 0);
    assert.equal(state.incidents.all().length, 0);
    assert.ok(state.alertSource('S1') && state.apiKey('k'));
    const again = state.incidents.create({ idempotency_key: 'i', visibility: 'public', mode: 'tutorial' }, { api_key: { id: 'a', name: 'k' } });
    assert.ok(again.ok && !again.replay && again.incident.number === 1, 'idempotency keys and numbering start over');
  });
});
