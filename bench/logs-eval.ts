/**
 * Rule evaluation alone (issue 10: ≥ 200,000 events/s per core over 50 rules). Builds 50 rules of the kinds teams
 * write (levels and services, status ranges, latency thresholds, phrases, regexes, negations, array tags, NULL) and
 * a mixed set of events (Logflare-shaped with metadata, and flat Vector/Fluent Bit/pino lines, mostly healthy), and
 * counts events through one rule-set matcher on this thread for a fixed time. Beside it, in the same run: parsing
 * the same NDJSON lines (the work every ingested line costs anyway) and the 50 rules as independent predicates
 * (what sharing the per-event work saves).
 *
 * `measureRuleEvaluation` is imported by bench/logs.ts (`npm run bench:logs`); `node --import tsx bench/logs-eval.ts`
 * prints the table alone.
 */
import { pathToFileURL } from 'node:url';
import type { LogEvent } from '../src/logs/event.ts';
import { compileLql, compileRuleSet } from '../src/logs/lql/index.ts';
import { table } from './table.ts';

export interface RuleEvaluationOptions {
  /** Rules in the set (default 50). */
  rules?: number;
  /** Distinct events, cycled through (default 2,000). */
  events?: number;
  /** How long each measurement runs, after a warm-up of a quarter of it (default 2,000 ms). */
  durationMs?: number;
}

export interface RuleEvaluationResult {
  rules: number;
  events: number;
  /** Events through the shared rule-set matcher per second of CPU time (one core; the matcher runs on one thread). */
  eventsPerSecond: number;
  /** The same per second of wall time: lower than eventsPerSecond when other processes share the cores. */
  wallEventsPerSecond: number;
  /** The same events and rules, each rule compiled on its own (no shared message or field lookups). */
  independentPerSecond: number;
  /** JSON.parse of the same events' NDJSON lines per CPU second: the floor cost of every ingested line. */
  parsePerSecond: number;
  /** Rules matched per event on average (the set is realistic when most lines match nothing). */
  matchesPerEvent: number;
}

const SERVICES = ['payments', 'checkout', 'orders', 'search', 'auth', 'inventory', 'shipping', 'notifications', 'gateway', 'batch'];
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-south-1'];

/** Five rules per service, cycling through services until `n` rules. */
export function realisticRules(n = 50): string[] {
  const templates = [
    (s: string) => `m.level:error m.service:${s} -"health check"`,
    (s: string) => `m.service:${s} m.status:500..599 m.request.path:~^/api/`,
    (s: string) => `m.service:${s} (m.latency_ms:>2000 OR "deadline exceeded" OR timeout)`,
    (s: string) => `m.service:${s} ("connection refused" OR "connection reset" OR ~(?i)out\\sof\\smemory)`,
    (s: string) => `(m.level:fatal OR m.level:critical OR m.tags:@>page) m.service:${s} -m.env:staging`,
  ];
  const extra = ['m.user.id:NULL m.request.path:~^/admin', 'panic -m.env:dev', 'm.status:429 m.region:eu-west-1', '"certificate has expired"', 'm.retries:>=5 AND m.level:warn'];
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    if (i % 6 === 5) out.push(extra[Math.floor(i / 6) % extra.length]!);
    else out.push(templates[i % 5]!(SERVICES[Math.floor(i / 6) % SERVICES.length]!));
  }
  return out;
}

/** A deterministic pseudo-random stream, so every run measures the same events. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function realisticEvents(n = 2000): LogEvent[] {
  const r = rng(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const messages = [
    'request completed',
    'GET /api/orders/1234 200 in 35ms',
    'POST /api/pay 503 upstream error: connection refused by 10.0.3.7:5432',
    'health check ok',
    'user session refreshed for account 98231',
    'deadline exceeded while calling inventory.Reserve',
    'cache miss for key product:5521, fetching from origin',
    'worker heartbeat',
    'java.lang.OutOfMemoryError: Java heap space',
    'retrying job 42 after transient failure',
  ];
  const events: LogEvent[] = [];
  for (let i = 0; i < n; i++) {
    const roll = r();
    const level = roll < 0.8 ? 'info' : roll < 0.93 ? 'warn' : roll < 0.99 ? 'error' : 'fatal';
    const status = r() < 0.9 ? 200 : pick([404, 429, 500, 502, 503]);
    const fields = {
      level,
      service: pick(SERVICES),
      region: pick(REGIONS),
      env: r() < 0.8 ? 'production' : 'staging',
      status,
      latency_ms: Math.round(r() * (r() < 0.05 ? 5000 : 300)),
      retries: Math.floor(r() * 6),
      request: { method: pick(['GET', 'POST']), path: pick(['/api/orders', '/api/pay', '/admin/users', '/healthz']), id: `req-${i}` },
      user: r() < 0.7 ? { id: `u${Math.floor(r() * 1000)}` } : null,
      tags: r() < 0.02 ? ['page', 'sev1'] : ['app'],
    };
    const message = `${pick(messages)} (trace ${(i * 2654435761).toString(16)})`;
    // Logflare sends {event_message, metadata}; Vector, Fluent Bit and pino put fields at the top level.
    events.push(r() < 0.5 ? { event_message: message, timestamp: 1_750_000_000_000 + i, metadata: fields } : { message, timestamp: 1_750_000_000_000 + i, ...fields });
  }
  return events;
}

/**
 * Calls `step(i)` for `ms` milliseconds of wall time (checking the clocks every 1,024 calls); returns calls per second
 * of this process's CPU time, which is what "per core" means and stays meaningful on a machine shared with other
 * work, and per second of wall time.
 */
function rate(ms: number, step: (i: number) => void): { cpu: number; wall: number } {
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let n = 0;
  for (;;) {
    for (let k = 0; k < 1024; k++) step(n++);
    const elapsed = performance.now() - start;
    if (elapsed >= ms) {
      const used = process.cpuUsage(cpu0);
      return { cpu: n / ((used.user + used.system) / 1e6), wall: (n / elapsed) * 1000 };
    }
  }
}

export function measureRuleEvaluation(opts: RuleEvaluationOptions = {}): RuleEvaluationResult {
  const queries = realisticRules(opts.rules ?? 50);
  const events = realisticEvents(opts.events ?? 2000);
  const lines = events.map((e) => JSON.stringify(e));
  const ms = opts.durationMs ?? 2000;
  const matcher = compileRuleSet(queries);
  const predicates = queries.map((q) => {
    const c = compileLql(q);
    if (!c.ok) throw new Error(`bench rule ${JSON.stringify(q)}: column ${c.column}: ${c.message}`);
    return c.predicate;
  });
  const len = events.length;
  let matched = 0;
  const onMatch = () => {
    matched++;
  };
  let sink = 0;

  for (let i = 0; i < len; i++) matcher.forEachMatch(events[i]!, onMatch);
  const matchesPerEvent = matched / len;

  const shared = (i: number) => {
    matcher.forEachMatch(events[i % len]!, onMatch);
  };
  const independent = (i: number) => {
    const e = events[i % len]!;
    for (const p of predicates) if (p(e)) sink++;
  };
  const parse = (i: number) => {
    sink += (JSON.parse(lines[i % len]!) as object) ? 1 : 0;
  };
  for (const f of [shared, independent, parse]) rate(ms / 4, f);
  const evaluation = rate(ms, shared);
  const independentPerSecond = rate(ms, independent).cpu;
  const parsePerSecond = rate(ms, parse).cpu;
  if (sink < 0) console.log(sink);
  return { rules: queries.length, events: len, eventsPerSecond: evaluation.cpu, wallEventsPerSecond: evaluation.wall, independentPerSecond, parsePerSecond, matchesPerEvent };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = measureRuleEvaluation();
  table(`Rule evaluation, one core: ${r.rules} rules, ${r.events} distinct events, ${r.matchesPerEvent.toFixed(2)} matches per event (target ≥ 200,000 events/s); events per CPU second`, ['what', 'events/s', 'vs JSON.parse of the line'], [
    ['rule set (shared message and field lookups)', fmt(r.eventsPerSecond), `${(r.eventsPerSecond / r.parsePerSecond).toFixed(2)}×`],
    ['  the same per wall-clock second (shared machine)', fmt(r.wallEventsPerSecond), '-'],
    ['the same rules as 50 separate predicates', fmt(r.independentPerSecond), `${(r.independentPerSecond / r.parsePerSecond).toFixed(2)}×`],
    ['baseline: JSON.parse of the NDJSON line', fmt(r.parsePerSecond), '1.00×'],
  ]);
}
