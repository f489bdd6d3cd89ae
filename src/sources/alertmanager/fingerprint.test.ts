import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { labelsFingerprint } from './fingerprint.ts';

test('the fingerprints Alertmanager itself sent, recomputed from the labels', () => {
  for (const file of ['webhook-v4-1-firing.json', 'webhook-v4-2-firing.json', 'webhook-v4-3-resolved.json']) {
    const body = JSON.parse(readFileSync(new URL(`./testdata/${file}`, import.meta.url), 'utf8'));
    for (const a of body.alerts) assert.equal(labelsFingerprint(a.labels), a.fingerprint, file);
  }
});

test('order of labels does not matter; any change of name or value does', () => {
  const a = labelsFingerprint({ alertname: 'HighCPU', instance: 'web-1' });
  assert.equal(labelsFingerprint({ instance: 'web-1', alertname: 'HighCPU' }), a);
  assert.notEqual(labelsFingerprint({ alertname: 'HighCPU', instance: 'web-2' }), a);
  assert.notEqual(labelsFingerprint({ alertname: 'HighCPU', instancf: 'web-1' }), a);
  assert.match(labelsFingerprint({}), /^[0-9a-f]{16}$/);
  assert.match(labelsFingerprint({ région: 'zürich ☃' }), /^[0-9a-f]{16}$/);
});
