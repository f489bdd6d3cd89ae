import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeliveryPayload } from '../types.ts';
import { buildClose, buildCreate, buildResolvedSummary, buildSummary, idempotencyKey, MAX_IDEMPOTENCY_KEY, MAX_NAME, resolutionLine } from './incidents-payload.ts';

const p = (over: Partial<DeliveryPayload> = {}): DeliveryPayload => ({
  alertId: '01J',
  source: 'app',
  dedupKey: 'orders-5xx',
  externalKey: 'app:orders-5xx',
  episode: 3,
  status: 'firing',
  title: 'Orders 5xx',
  metadata: { service: 'orders', team: ['payments', 'checkout'] },
  at: Date.UTC(2025, 0, 2, 3, 4, 5),
  ...over,
});
const opts = { visibility: 'public', mode: 'standard', severityId: 'sev-1' } as const;

describe('idempotencyKey', () => {
  const cases: [string, Partial<DeliveryPayload>, (k: string) => boolean][] = [
    ['alert identity and episode', {}, (k) => k === 'tocsin:app:orders-5xx:3'],
    ['new episode, new key', { episode: 4 }, (k) => k === 'tocsin:app:orders-5xx:4'],
    ['the time of the send does not matter', { at: 1, title: 'other' }, (k) => k === 'tocsin:app:orders-5xx:3'],
    ['a test run carries its time', { test: true, at: 42 }, (k) => k === 'tocsin-test:app:orders-5xx:3:42'],
    ['long keys are hashed, deterministically', { externalKey: `app:${'x'.repeat(300)}` }, (k) => /^tocsin:sha256:[0-9a-f]{64}$/.test(k) && k.length <= MAX_IDEMPOTENCY_KEY],
  ];
  for (const [name, over, ok] of cases) {
    it(name, () => {
      const k = idempotencyKey(p(over));
      assert.ok(ok(k), k);
      assert.equal(idempotencyKey(p(over)), k);
    });
  }
  it('two long keys that differ only at the end do not collide', () => {
    const a = idempotencyKey(p({ externalKey: `app:${'x'.repeat(300)}a` }));
    const b = idempotencyKey(p({ externalKey: `app:${'x'.repeat(300)}b` }));
    assert.notEqual(a, b);
  });
});

describe('buildCreate', () => {
  it('exactly the keys tocsin sets; no nulls', () => {
    const body = buildCreate(p({ description: 'Error rate over 5%', severity: 'critical', sourceUrl: 'https://grafana/x' }), opts);
    assert.deepEqual(Object.keys(body).sort(), ['idempotency_key', 'mode', 'name', 'severity_id', 'summary', 'visibility']);
    assert.equal(body.name, 'Orders 5xx');
    assert.equal(body.mode, 'standard');
    assert.equal(body.visibility, 'public');
    assert.equal(body.severity_id, 'sev-1');
    assert.equal(
      body.summary,
      [
        'Error rate over 5%',
        'Source: app · severity: critical\nLink: https://grafana/x',
        'Details:\n- service: orders\n- team: payments, checkout',
        'Declared by tocsin from alert app:orders-5xx (episode 3).',
      ].join('\n\n'),
    );
  });

  it('a test send is a test incident, whatever the configured mode', () => {
    assert.equal(buildCreate(p({ test: true }), opts).mode, 'test');
    assert.equal(buildCreate(p(), { ...opts, mode: 'test' }).mode, 'test');
  });

  it('caps the name, the description and the metadata, and says so', () => {
    const metadata = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, { nested: 'v'.repeat(1000) }]));
    const body = buildCreate(p({ title: 't'.repeat(1000), description: 'd'.repeat(50_000), metadata }), opts);
    assert.equal(body.name.length, MAX_NAME);
    assert.ok(body.name.endsWith('…'));
    assert.ok(body.summary!.length < 20_000, String(body.summary!.length));
    assert.ok(body.summary!.includes('…and 20 more (truncated'));
    assert.equal((body.summary!.match(/^- k/gm) ?? []).length, 30);
  });

  it('multi-line metadata values stay on one line', () => {
    assert.ok(buildSummary(p({ metadata: { query: 'select 1\n  from t' } })).includes('- query: select 1 from t'));
  });

  it('a blank title still names the incident', () => {
    assert.equal(buildCreate(p({ title: '  ' }), opts).name, 'Alert app:orders-5xx');
  });
});

describe('edit bodies', () => {
  it('close moves to the closed status and tells the channel', () => {
    assert.deepEqual(buildClose('st-closed'), { incident: { incident_status_id: 'st-closed' }, notify_incident_channel: true });
  });

  const at = Date.UTC(2025, 0, 2, 3, 4, 5);
  const line = 'Resolved at 2025-01-02T03:04:05Z: the alert cleared (tocsin).';
  const cases: [string, string | undefined, string | undefined][] = [
    ['appends to the current summary', 'Written by a responder.\n', `Written by a responder.\n\n${line}`],
    ['an empty summary becomes the line', undefined, line],
    ['once only: an earlier attempt already added it', `x\n\n${line}`, undefined],
  ];
  for (const [name, current, want] of cases) {
    it(name, () => {
      assert.equal(resolutionLine(at), line);
      assert.equal(buildResolvedSummary(current, at)?.incident.summary, want);
    });
  }
});
