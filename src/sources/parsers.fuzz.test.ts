/**
 * Property tests over every registered source parser (issue 13, fuzzing): whatever the body, a parser answers in time
 * with events the ingest path can store, or with problems (a 400); it never throws, and it reads the same body the
 * same way twice. Well-formed bodies are accepted whole; a batch with one bad element is refused, naming it.
 * `npm run fuzz` runs the same properties longer (test/fuzz/runs.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  cloudWatchAlarm, deepSpec, nested, hostileJson, sentryWebhook, snsNotification, hostileObject, hostileString, mutated, nativeAlert, notification, notifiedAlert, runResults, dbtResult, withOneBad, asJson,
} from '../../test/fuzz/arbitraries.ts';
import { assertOutcome } from '../../test/fuzz/invariants.ts';
import { check, runs } from '../../test/fuzz/runs.ts';
import type { ParseOutcome } from '../domain/errors.ts';
import { labelsFingerprint } from './alertmanager/fingerprint.ts';
import { sourceTypes } from './registry.ts';
import type { ParsedBatch } from './types.ts';

/** The options each type is fuzzed with: its defaults, and a configuration that takes its other paths. */
const OPTIONS: Record<string, unknown[]> = {
  alerts: [{}],
  // Its requests never reach `parse` (api/logs-ingest.ts); the body reader is fuzzed in logs/body.fuzz.test.ts.
  logs: [{}],
  alertmanager: [{}, { severity_label: 'level' }],
  grafana: [{}],
  dbt: [{}, { project: 'p', environment: 'prod', link_template: 'https://docs.example.com/#!/{resource_type}/{unique_id}', severity: { fail: 'critical', warn: 'info' } }],
  versus: [{}, { title: 'title & "!"', severity: 'level', status: 'state', dedup_key: 'id', cloudwatch_insufficient_data: 'firing' }],
  webhook: [
    { title: 'title', dedup_key: 'id' },
    { title: 'name', dedup_key: '$string(id)', items: 'alerts', resolved_when: "state = 'ok'", severity: 'level', metadata: '$', exclude: ['secret'], source_url: 'url' },
  ],
};

/** A body that should take well under this; a parser that loops or backtracks on some input shows here. */
const SLOW_MS = 2_000;
const QUERY = { destination: 'oncall', oncall_enable: 'yes' };

type Parsed = ParseOutcome<ParsedBatch>;
const contexts = Object.entries(OPTIONS).flatMap(([type, list]) =>
  list.map((raw, i) => {
    const st = sourceTypes[type];
    assert.ok(st, `OPTIONS names unknown source type ${type}`);
    const options = st.options.parse(raw);
    return { label: `${type}#${i}`, type, parse: async (body: unknown, query: Record<string, string> = {}): Promise<Parsed> => st.parse(body, { source: 'src', options, query, severityMap: { sev1: 'critical' } }) };
  }),
);
const parserArb = fc.constantFrom(...contexts);

async function timedParse(ctx: (typeof contexts)[number], body: unknown, query?: Record<string, string>, slowMs = SLOW_MS): Promise<Parsed> {
  const started = performance.now();
  const outcome = await ctx.parse(body, query);
  const ms = performance.now() - started;
  assert.ok(ms < slowMs, `${ctx.label} took ${Math.round(ms)} ms`);
  assertOutcome(outcome, 'src');
  return outcome;
}

/** What two parses of one body must share: the verdict and every identity. */
const gist = (o: Parsed) => (o.ok ? o.value.events.map((e) => [e.dedupKey, e.status, e.title, e.severity ?? null, e.aliases ?? []]) : o.problems);

describe('source parsers under fuzzing', () => {
  test('every registered source type is fuzzed', () => {
    assert.deepEqual(Object.keys(sourceTypes).sort(), Object.keys(OPTIONS).sort(), 'add the new type (and options taking its paths) to OPTIONS');
  });

  test('any JSON body: events that can be stored, or problems; never a throw; the same answer twice', async () => {
    await check(
      fc.asyncProperty(parserArb, fc.oneof(hostileJson(4), hostileObject(3), fc.array(hostileObject(2), { maxLength: 5 })), fc.boolean(), async (ctx, body, withQuery) => {
        const query = withQuery ? QUERY : {};
        const first = await timedParse(ctx, body, query);
        assert.deepEqual(gist(await ctx.parse(body, query)), gist(first));
      }),
      runs(300),
    );
  });

  test('well-formed bodies with hostile values at random places', async () => {
    const bodies = fc.oneof(
      notification('4'), notification('1'), nativeAlert, fc.array(nativeAlert, { minLength: 1, maxLength: 3 }), runResults, runResults.map((r) => ({ run_results: r })),
      cloudWatchAlarm, snsNotification, sentryWebhook,
    );
    await check(
      fc.asyncProperty(parserArb, mutated(bodies), async (ctx, body) => {
        await timedParse(ctx, body);
      }),
      runs(300),
    );
  });

  test('values nested thousands of levels deep, anywhere in a well-formed body', async () => {
    const bodies = fc.oneof(notification('4'), nativeAlert, runResults, hostileObject(1));
    await check(
      fc.asyncProperty(parserArb, bodies, deepSpec(500, 5000), fc.nat(), async (ctx, shallow, spec, n) => {
        const deep = nested(spec.depth, spec.kind);
        const body = asJson(shallow); // a copy: the counterexample must stay printable
        // Put the deep value in place of one of the body's values.
        const slots: [Record<string, unknown> | unknown[], string | number][] = [];
        const walk = (v: unknown) => {
          if (Array.isArray(v)) v.forEach((x, i) => (slots.push([v, i]), walk(x)));
          else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) slots.push([v as Record<string, unknown>, k]), walk(x);
        };
        walk(body);
        if (slots.length) {
          const [parent, at] = slots[n % slots.length]!;
          Object.defineProperty(parent, at, { value: deep, enumerable: true, writable: true, configurable: true });
        }
        await timedParse(ctx, slots.length ? body : deep);
      }),
      runs(40),
    );
  });

  test('huge strings in every field are read in time', async () => {
    await check(
      fc.asyncProperty(parserArb, fc.oneof(nativeAlert, notification('4'), runResults), fc.integer({ min: 100_000, max: 1_000_000 }), async (ctx, body, size) => {
        const big = 'a b\n'.repeat(size / 4);
        let i = 0;
        const swap = (v: unknown): unknown =>
          typeof v === 'string' ? (i++ % 2 ? big : v) : Array.isArray(v) ? v.map(swap) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)])) : v;
        // Bodies of several megabytes (past the 1 MiB default body_limit): seconds at most, on a loaded machine.
        await timedParse(ctx, swap(body), undefined, 5 * SLOW_MS);
      }),
      runs(15),
    );
  });
});

describe('well-formed bodies are accepted whole', () => {
  const parse = (type: string, body: unknown, options: unknown = OPTIONS[type]![0]) =>
    sourceTypes[type]!.parse(body, { source: 'src', options: sourceTypes[type]!.options.parse(options), query: {} }) as Promise<Parsed> | Parsed;

  test('alertmanager and grafana: one event per alert, keyed by its fingerprint', async () => {
    await check(
      fc.asyncProperty(fc.constantFrom('alertmanager', 'grafana'), fc.constantFrom('4', '1') as fc.Arbitrary<'4' | '1'>, fc.boolean(), async (type, version, keepFingerprint) => {
        const [n] = fc.sample(notification(version), 1);
        if (!keepFingerprint) for (const a of n!.alerts as Record<string, unknown>[]) delete a.fingerprint;
        const out = await parse(type, n);
        assertOutcome(out, 'src');
        assert.ok(out.ok, JSON.stringify(!out.ok && out.problems));
        const alerts = n!.alerts as { fingerprint?: string; labels: Record<string, string>; status: string }[];
        assert.deepEqual(out.value.events.map((e) => [e.dedupKey, e.status]), alerts.map((a) => [a.fingerprint || labelsFingerprint(a.labels), a.status]));
      }),
      runs(100),
    );
  });

  test('alerts: every element becomes one event with its own key and status', async () => {
    await check(
      fc.asyncProperty(fc.array(nativeAlert, { minLength: 1, maxLength: 20 }), async (items) => {
        const out = await parse('alerts', items);
        assertOutcome(out, 'src');
        assert.ok(out.ok, JSON.stringify(!out.ok && out.problems));
        assert.equal(out.value.events.length, items.length);
        out.value.events.forEach((e, i) => {
          const a = items[i]!;
          assert.equal(e.dedupKey, typeof a.dedup_key === 'string' ? a.dedup_key.trim() : (a.title as string).trim().slice(0, 1000));
          assert.equal(e.status, a.status ?? 'firing');
          if (a.severity !== undefined) assert.equal(e.severity, a.severity);
        });
      }),
      runs(100),
    );
  });

  test('dbt: one alert per failing or passing node; skipped and unknown statuses say nothing', async () => {
    await check(
      fc.asyncProperty(runResults, fc.boolean(), fc.constantFrom(0, 1), async (run, wrapped, variant) => {
        const out = await parse('dbt', wrapped ? { run_results: run } : run, OPTIONS.dbt![variant]);
        assertOutcome(out, 'src');
        assert.ok(out.ok, JSON.stringify(!out.ok && out.problems));
        const telling = new Set(run.results.filter((r) => ['pass', 'success', 'fail', 'error', 'warn', 'runtime error', 'partial success'].includes(r.status.toLowerCase())).map((r) => r.unique_id));
        assert.deepEqual(new Set(out.value.events.map((e) => e.dedupKey)), telling);
      }),
      runs(100),
    );
  });

  test('versus: CloudWatch alarms (direct or via SNS) and Sentry webhooks are read, whatever their text holds', async () => {
    await check(
      fc.asyncProperty(fc.oneof(cloudWatchAlarm, snsNotification, sentryWebhook), fc.constantFrom(0, 1), async (body, variant) => {
        const out = await parse('versus', body, OPTIONS.versus![variant]);
        assertOutcome(out, 'src');
        assert.ok(out.ok, JSON.stringify(!out.ok && out.problems));
      }),
      runs(150),
    );
  });

  test('versus and webhook: any JSON object is an alert (never refused for its shape)', async () => {
    const notSns = hostileObject(3).filter((o) => !('Type' in o && 'TopicArn' in o));
    await check(
      fc.asyncProperty(fc.constantFrom('versus', 'webhook'), fc.oneof(notSns, fc.array(notSns, { minLength: 1, maxLength: 5 })), async (type, body) => {
        const out = await parse(type, body);
        assertOutcome(out, 'src');
        assert.ok(out.ok, JSON.stringify(!out.ok && out.problems));
        assert.equal(out.value.events.length, Array.isArray(body) ? body.length : 1);
      }),
      runs(150),
    );
  });
});

describe('identity is what an alert is, not where it came in', () => {
  const parse = (type: string, body: unknown, options: unknown = OPTIONS[type]![0]) =>
    sourceTypes[type]!.parse(body, { source: 'src', options: sourceTypes[type]!.options.parse(options), query: {} }) as Promise<Parsed> | Parsed;
  const keys = (out: Parsed) => {
    assert.ok(out.ok, JSON.stringify(!out.ok && out.problems));
    return out.value.events.map((e) => e.dedupKey);
  };

  test('an item keeps its key alone, in any batch, at any position (alerts, versus, webhook)', async () => {
    const items = { alerts: nativeAlert, versus: hostileObject(2).filter((o) => !('Type' in o && 'TopicArn' in o) && !Array.isArray(o.alerts)), webhook: hostileObject(2) };
    await check(
      fc.asyncProperty(fc.constantFrom('alerts', 'versus', 'webhook'), fc.nat(), async (type, seed) => {
        const [item, ...others] = fc.sample(items[type as keyof typeof items] as fc.Arbitrary<unknown>, { numRuns: 4, seed });
        const alone = keys(await parse(type, item));
        const at = seed % (others.length + 1);
        const batch = keys(await parse(type, [...others.slice(0, at), item, ...others.slice(at)]));
        assert.deepEqual(batch.slice(at, at + alone.length), alone);
      }),
      runs(100),
    );
  });

  test('an Alertmanager or Grafana alert keeps its key in any group, whatever the group says', async () => {
    await check(
      fc.asyncProperty(fc.constantFrom('alertmanager', 'grafana', 'versus'), notification('4'), notification('1'), async (type, a, b) => {
        const alert = a.alerts[0];
        const first = keys(await parse(type, { ...a, alerts: [alert] }));
        const second = keys(await parse(type, { ...b, alerts: [...b.alerts, alert] }));
        assert.deepEqual(second.slice(-first.length), first);
      }),
      runs(100),
    );
  });
});

describe('a batch with one bad element is refused, naming it', () => {
  const parse = (type: string, body: unknown) =>
    sourceTypes[type]!.parse(body, { source: 'src', options: sourceTypes[type]!.options.parse(OPTIONS[type]![0]), query: {} }) as Promise<Parsed> | Parsed;
  const refusedAt = (out: Parsed, prefix: string) => {
    assertOutcome(out, 'src');
    assert.ok(!out.ok, 'refused');
    assert.ok(out.problems.some((p) => p.field.startsWith(prefix)), `a problem at ${prefix}: ${JSON.stringify(out.problems)}`);
  };

  test('alerts: a non-object, a title or status of the wrong type', async () => {
    const bad = fc.oneof(fc.constantFrom(null, 1, 'text', [], true), hostileObject(1).map((o) => ({ ...o, title: 42 })), fc.record({ title: fc.constant('t'), status: hostileString.filter((s) => !['firing', 'fire', 'alerting', 'alarm', 'active', 'triggered', 'problem', 'open', 'resolved', 'resolve', 'ok', 'normal', 'inactive', 'closed', 'recovered', 'cleared'].includes(s.trim().toLowerCase())) }));
    await check(
      fc.asyncProperty(withOneBad(fc.array(nativeAlert, { minLength: 1, maxLength: 10 }), bad.map(asJson)), async ({ items, index }) => {
        refusedAt(await parse('alerts', items), `[${index}]`);
      }),
      runs(100),
    );
  });

  test('alertmanager and grafana: an alert without labels, with a non-string label, or an unknown status', async () => {
    const bad = fc.oneof(
      fc.constantFrom(null, 7, 'x', []),
      notifiedAlert.map((a) => ({ ...a, status: 'pending' })),
      notifiedAlert.map((a) => ({ ...a, labels: { ...a.labels, n: 1 } })),
      notifiedAlert.map(({ labels: _l, ...a }) => a),
    );
    await check(
      fc.asyncProperty(fc.constantFrom('alertmanager', 'grafana'), notification('4'), bad, fc.nat(), async (type, n, b, at) => {
        const index = at % n.alerts.length;
        n.alerts[index] = asJson(b);
        refusedAt(await parse(type, n), `alerts[${index}]`);
      }),
      runs(100),
    );
  });

  test('dbt: a result without unique_id or status', async () => {
    const bad = fc.oneof(fc.constantFrom(null, 3, 'x'), dbtResult.map(({ unique_id: _u, ...r }) => r), dbtResult.map((r) => ({ ...r, status: 5 })), dbtResult.map((r) => ({ ...r, unique_id: '' })));
    await check(
      fc.asyncProperty(runResults, bad, fc.nat(), async (run, b, at) => {
        const index = at % run.results.length;
        (run.results as unknown[])[index] = asJson(b);
        refusedAt(await parse('dbt', run), `results[${index}]`);
      }),
      runs(100),
    );
  });
});
