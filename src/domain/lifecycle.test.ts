import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlertEvent } from './alert.ts';
import { contentOf, decide, hashContent, type AlertSnapshot } from './lifecycle.ts';

const event = (over: Partial<AlertEvent> = {}): AlertEvent => ({
  source: 'app',
  dedupKey: 'k',
  status: 'firing',
  title: 'Orders 5xx',
  metadata: { service: 'orders' },
  ...over,
});
const snap = (state: AlertSnapshot['state'], e: AlertEvent = event(), episode = 1): AlertSnapshot => ({
  state,
  episode,
  contentHash: hashContent(contentOf(e), ['run']),
});

const cases: { name: string; current: AlertSnapshot | null; event: AlertEvent; kind: string; transition?: string; episode?: number }[] = [
  { name: 'new firing alert', current: null, event: event(), kind: 'created', transition: 'created', episode: 1 },
  { name: 'resolve of an unknown alert', current: null, event: event({ status: 'resolved' }), kind: 'unchanged' },
  { name: 'identical repeat', current: snap('firing'), event: event(), kind: 'unchanged' },
  { name: 'metadata key order does not matter', current: snap('firing', event({ metadata: { a: 1, b: 2 } })), event: event({ metadata: { b: 2, a: 1 } }), kind: 'unchanged' },
  { name: 'only a volatile key changed', current: snap('firing', event({ metadata: { service: 'orders', run: 'a' } })), event: event({ metadata: { service: 'orders', run: 'b' }, volatile: ['run'] }), kind: 'unchanged' },
  { name: 'changed title', current: snap('firing'), event: event({ title: 'Orders 5xx above 5%' }), kind: 'updated', transition: 'updated', episode: 1 },
  { name: 'changed severity while acknowledged', current: snap('acknowledged'), event: event({ severity: 'critical' }), kind: 'updated', episode: 1 },
  { name: 'repeat while acknowledged', current: snap('acknowledged'), event: event(), kind: 'unchanged' },
  { name: 'resolve', current: snap('firing'), event: event({ status: 'resolved' }), kind: 'resolved', transition: 'resolved', episode: 1 },
  { name: 'resolve an acknowledged alert', current: snap('acknowledged'), event: event({ status: 'resolved' }), kind: 'resolved', episode: 1 },
  { name: 'resolve twice', current: snap('resolved'), event: event({ status: 'resolved' }), kind: 'unchanged' },
  { name: 'fire after resolve is a new episode', current: snap('resolved', event(), 3), event: event(), kind: 'created', transition: 'refired', episode: 4 },
];

for (const c of cases) {
  test(`lifecycle: ${c.name}`, () => {
    const d = decide(c.current, c.event);
    assert.equal(d.kind, c.kind);
    if (d.kind !== 'unchanged') {
      if (c.transition) assert.equal(d.transition, c.transition);
      assert.equal(d.episode, c.episode);
      assert.equal(d.deliver, true);
    }
  });
}
