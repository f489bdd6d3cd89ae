/**
 * fast-check arbitraries for hostile input: what a broken or malicious sender can put in a body. Shared by the parser
 * properties (src/sources/*.fuzz.test.ts), the config properties and the end-to-end fuzz test.
 *
 * Every JSON value is passed through JSON.stringify/JSON.parse, so it is exactly what a body parser hands over: plain
 * objects only, and a `__proto__` key as an own data property (never the object's prototype).
 */
import fc from 'fast-check';

/** Names every plain object inherits: a lookup `table[word]` that forgets `Object.hasOwn` finds a function in them. */
export const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

/** Words the parsers give a meaning to (severities, statuses), in odd spellings: they reach the lookup tables. */
const MEANINGFUL = [
  'critical', 'CRIT', 'Error', 'warning', 'info', 'none', 'page', 'firing', 'resolved', 'RESOLVED', 'ok', 'OK', 'alarm', 'ALARM',
  'INSUFFICIENT_DATA', 'pass', 'fail', 'warn', 'runtime error', 'success', 'skipped', '4', '1', 'Notification', 'SubscriptionConfirmation',
];

/** Text that is well-formed in no encoding: lone surrogates, BOM, NUL, bidi overrides, line and paragraph separators. */
const ODD_TEXT = ['\ud800', '\udfff', 'a\ud83dz', '\ufeff', '\u0000', '\u202e', '\u2028\u2029', '\r\n', ' \t ', '', '%00', '${HOME}', '{{x}}', '../../etc/passwd'];

/** Field names some parser reads: a random object holding them takes paths a random key never reaches. */
export const FIELD_NAMES = [
  'title', 'status', 'state', 'severity', 'level', 'dedup_key', 'id', 'fingerprint', 'metadata', 'labels', 'annotations', 'alerts',
  'version', 'orgId', 'values', 'results', 'unique_id', 'run_results', 'manifest', 'sources', 'nodes', 'Type', 'TopicArn', 'Message',
  'AlarmName', 'NewStateValue', 'action', 'data', 'issue', 'event', 'metric_alert', 'ruleId', 'evalMatches', 'tags', 'message',
  'description', 'source_url', 'summary', 'name', 'kubernetes', 'items',
];

/** Any key a JSON object may carry, the dangerous ones often. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES, '__proto__', 'prototype', ...MEANINGFUL) },
  { weight: 3, arbitrary: fc.constantFrom(...FIELD_NAMES) },
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_TEXT) },
);

/** A string of `n` characters without building it through fast-check's shrinker (too slow for megabytes). */
export const longString = (min: number, max: number): fc.Arbitrary<string> =>
  fc.tuple(fc.integer({ min, max }), fc.constantFrom('x', 'é', '\ud83d\ude00', ' ', '\n')).map(([n, c]) => c.repeat(Math.ceil(n / c.length)));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES, '__proto__', ...MEANINGFUL) },
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_TEXT) },
  { weight: 1, arbitrary: fc.webUrl() },
  { weight: 1, arbitrary: fc.constantFrom('javascript:alert(1)', 'http://', 'https://x', 'ftp://x/y', 'http://[::1', '//x') },
  { weight: 1, arbitrary: longString(1_000, 20_000) },
);

const hostileLeaf: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, false, 0, -0, 1, -1, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, 1.5),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Reads as JSON would: plain objects, `__proto__` as data, -0 as 0. */
export const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v) ?? 'null');

/** Any JSON value, shallow (depth ≤ `maxDepth`), with hostile keys and strings. */
export const hostileJson = (maxDepth = 4): fc.Arbitrary<unknown> =>
  fc
    .letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', maxDepth, withCrossShrink: true },
        hostileLeaf,
        fc.array(tie('value'), { maxLength: 6 }),
        fc.dictionary(hostileKey, tie('value'), { maxKeys: 6, noNullPrototype: true }),
      ),
    }))
    .value.map(asJson);

export const hostileObject = (maxDepth = 4): fc.Arbitrary<Record<string, unknown>> =>
  fc.dictionary(hostileKey, hostileJson(maxDepth), { maxKeys: 8, noNullPrototype: true }).map((o) => asJson(o) as Record<string, unknown>);

/** A value nested `depth` levels deep (objects, arrays or both), built iteratively: deep enough to break recursion. */
export function nested(depth: number, kind: 'object' | 'array' | 'mixed' = 'mixed', leaf: unknown = 'deep'): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = kind === 'array' || (kind === 'mixed' && i % 2) ? [v] : { k: v };
  return v;
}

/** The same deep value as JSON text, without JSON.stringify's recursion. */
export function nestedJson(depth: number, kind: 'object' | 'array' = 'object', leaf = '"deep"'): string {
  return kind === 'object' ? `${'{"k":'.repeat(depth)}${leaf}${'}'.repeat(depth)}` : `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
}

/** How deep and of what: a counterexample prints as this, never as the value (printing it would overflow the stack). */
export interface DeepSpec {
  depth: number;
  kind: 'object' | 'array' | 'mixed';
}
export const deepSpec = (min: number, max: number): fc.Arbitrary<DeepSpec> =>
  fc.record({ depth: fc.integer({ min, max }), kind: fc.constantFrom('object', 'array', 'mixed') as fc.Arbitrary<DeepSpec['kind']> });

/**
 * A well-formed body with a few values replaced by hostile ones at random places (any depth), and sometimes a hostile
 * key added: reaches the checks behind the first one, which a random body rarely gets past.
 */
export const mutated = (valid: fc.Arbitrary<unknown>, maxDepth = 2): fc.Arbitrary<unknown> =>
  fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.boolean(), hostileKey, hostileJson(maxDepth)), { minLength: 1, maxLength: 3 })).map(([body, edits]) => {
    const root = asJson(body);
    for (let [n, addKey, key, value] of edits) {
      const slots: [Record<string, unknown> | unknown[], string | number][] = [];
      const walk = (v: unknown) => {
        if (Array.isArray(v)) v.forEach((x, i) => (slots.push([v, i]), walk(x)));
        else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) slots.push([v as Record<string, unknown>, k]), walk(x);
      };
      walk(root);
      if (!slots.length) continue;
      const [parent, at] = slots[n % slots.length]!;
      value = asJson(value); // a fresh copy: the same instance twice could nest in itself
      // defineProperty, as JSON.parse does: a `__proto__` key stays data.
      if (Array.isArray(parent)) parent[at as number] = value;
      else Object.defineProperty(parent, addKey ? key : at, { value, enumerable: true, writable: true, configurable: true });
    }
    return root;
  });

/** Replaces one element of a non-empty array with `bad`, and says which. */
export const withOneBad = <T, B>(items: fc.Arbitrary<T[]>, bad: fc.Arbitrary<B>): fc.Arbitrary<{ items: (T | B)[]; index: number }> =>
  items
    .filter((a) => a.length > 0)
    .chain((a) => fc.tuple(fc.constant(a), fc.nat({ max: a.length - 1 }), bad))
    .map(([a, index, b]) => {
      const copy: (T | B)[] = [...a];
      copy[index] = b;
      return { items: copy, index };
    });

// ---- well-formed payloads of each source type ----------------------------------------------------------------

export const SEVERITY_WORDS = ['critical', 'error', 'warning', 'info'] as const;
const labelName = fc.oneof(fc.constantFrom('alertname', 'severity', 'instance', 'job', 'team', ...PROTOTYPE_NAMES.filter((n) => n !== '__proto__')), fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/));
const labelValue = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...PROTOTYPE_NAMES, ...MEANINGFUL), fc.string({ unit: 'binary', maxLength: 10 }));
export const labelSet = fc.dictionary(labelName, labelValue, { maxKeys: 6, noNullPrototype: true });

/** One alert of an Alertmanager (v4) or Grafana (v1) group notification. */
export const notifiedAlert = fc.record(
  {
    status: fc.constantFrom('firing', 'resolved'),
    labels: labelSet,
    annotations: fc.dictionary(fc.constantFrom('summary', 'description', 'runbook_url', 'x'), labelValue, { noNullPrototype: true }),
    startsAt: fc.constantFrom('2024-01-01T00:00:00Z', '0001-01-01T00:00:00Z'),
    generatorURL: fc.oneof(fc.webUrl(), hostileString),
    fingerprint: fc.stringMatching(/^[0-9a-f]{16}$/),
  },
  { requiredKeys: ['status', 'labels'] },
);

export const notification = (version: '4' | '1') =>
  fc
    .record({
      version: fc.constant(version),
      status: fc.constantFrom('firing', 'resolved'),
      receiver: fc.string({ maxLength: 10 }),
      // A route path, never Grafana's test group key: a test would add a resolve per alert.
      groupKey: fc.string({ maxLength: 10 }).map((s) => `{}/{}:{alertname="${s}"}`),
      groupLabels: labelSet,
      externalURL: fc.webUrl(),
      alerts: fc.array(notifiedAlert, { minLength: 1, maxLength: 8 }),
    })
    .map((n) => asJson(n) as { alerts: unknown[] } & Record<string, unknown>);

/** One alert in tocsin's native format. */
export const nativeAlert = fc
  .record(
    {
      title: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== ''),
      status: fc.constantFrom('firing', 'resolved'),
      dedup_key: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== ''),
      severity: fc.constantFrom(...SEVERITY_WORDS),
      description: fc.string({ maxLength: 100 }),
      metadata: hostileObject(3),
      source_url: fc.webUrl(),
    },
    { requiredKeys: ['title'] },
  )
  .map((a) => asJson(a) as Record<string, unknown>);

export const RUN_RESULTS_SCHEMA = 'https://schemas.getdbt.com/dbt/run-results/v6.json';

export const dbtResult = fc.record({
  unique_id: fc.tuple(fc.constantFrom('test', 'model', 'seed', 'snapshot', 'source', 'unit_test'), fc.constantFrom('pkg', 'x'), fc.oneof({ weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) }, { weight: 1, arbitrary: hostileString.filter((t) => t !== '' && t.length < 2000) })).map((p) => p.join('.')),
  status: fc.constantFrom('pass', 'fail', 'error', 'warn', 'success', 'skipped', 'runtime error', 'partial success', 'no-op', 'Pass', 'WARN'),
  message: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
  failures: fc.option(fc.nat(), { nil: null }),
  execution_time: fc.double({ min: 0, max: 1000, noNaN: true }),
});

/** A run_results.json holding only the fields tocsin reads. */
export const runResults = fc.array(dbtResult, { minLength: 1, maxLength: 10 }).map((results) => ({
  metadata: { dbt_schema_version: RUN_RESULTS_SCHEMA, dbt_version: '1.8.0', invocation_id: 'inv-1' },
  results,
}));

/** Text a sender may put in a name: mostly plain, sometimes a lone surrogate or a prototype name. */
const nameText = fc.oneof({ weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) }, { weight: 1, arbitrary: hostileString });

/** A CloudWatch alarm state change, as SNS carries it in `Message` (or as posted directly to a versus source). */
export const cloudWatchAlarm = fc
  .record({
    AlarmName: nameText,
    AlarmDescription: fc.option(nameText, { nil: undefined }),
    AWSAccountId: fc.constantFrom('123456789012', ''),
    NewStateValue: fc.constantFrom('ALARM', 'OK', 'INSUFFICIENT_DATA', 'alarm', 'Weird'),
    NewStateReason: nameText,
    OldStateValue: fc.constantFrom('OK', 'ALARM'),
    Region: fc.constantFrom('EU (Ireland)', ''),
    AlarmArn: fc.oneof(fc.tuple(fc.constantFrom('eu-west-1', 'us-east-1', '', 'x y', '\ud800'), nameText).map(([r, n]) => `arn:aws:cloudwatch:${r}:123456789012:alarm:${n}`), hostileString),
    Trigger: fc.record({ MetricName: nameText, Namespace: nameText, Dimensions: fc.array(fc.record({ name: nameText, value: nameText }), { maxLength: 2 }) }, { requiredKeys: [] }),
  }, { requiredKeys: ['AlarmName', 'NewStateValue'] })
  .map((a) => asJson(a) as Record<string, unknown>);

/** An SNS Notification wrapping an alarm (or any text), as AWS posts it. */
export const snsNotification = fc
  .tuple(fc.oneof(cloudWatchAlarm.map((a) => JSON.stringify(a)), nameText), nameText)
  .map(([message, subject]) => ({ Type: 'Notification', MessageId: 'm-1', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms', Subject: subject, Message: message }));

/** A Sentry issue webhook (`data.issue`) or issue alert (`data.event`). */
export const sentryWebhook = fc
  .record({
    action: fc.constantFrom('created', 'resolved', 'ignored', 'triggered', 'critical'),
    data: fc.oneof(
      fc.record({ issue: fc.record({ id: fc.oneof(fc.nat().map(String), nameText), title: nameText, status: fc.constantFrom('unresolved', 'resolved', 'ignored'), level: fc.constantFrom('error', 'fatal', 'warning', 'constructor'), web_url: fc.oneof(fc.webUrl(), hostileString), culprit: nameText }, { requiredKeys: [] }) }),
      fc.record({ event: fc.record({ issue_id: fc.nat().map(String), title: nameText, level: fc.constantFrom('error', 'info'), web_url: fc.webUrl() }, { requiredKeys: [] }), triggered_rule: nameText }),
    ),
  })
  .map((s) => asJson(s) as Record<string, unknown>);
