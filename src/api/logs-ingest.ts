import type { FastifyBaseLogger, FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import type { SourceConfig } from '../config/load.ts';
import type { FieldProblem } from '../domain/errors.ts';
import { LogsPool } from '../logs/pool/pool.ts';
import { collectMatches, LogRules, type LogsOutcome } from '../logs/rules/engine.ts';
import { skippedWarning } from '../sources/logs/body.ts';
import { readLogBytes } from '../sources/logs/body-bytes.ts';
import { acceptsGzip, gunzipCapped, GZIP_EXPANSION } from '../sources/logs/gzip.ts';
import type { LogsOptions } from '../logs/rules/config.ts';
import { ApiError, badRequest } from './errors.ts';
import type { Gateway } from './gateway.ts';
import { storageUnavailable } from '../storage/unavailable.ts';

/**
 * The `type: logs` path through `/ingest/<source>`: same sender authentication and body limit as every source, then
 * the body (gzip or not) is read as log events, matched against the source's rules and forgotten. The answer is a
 * 202 once any alert the request fired is committed; events that only add to an open alert's count wait for its
 * timer (src/logs/rules/engine.ts).
 *
 * A body of WORKER_MIN_BYTES or more is read on a worker thread (src/logs/pool/): its tally comes back and is applied
 * here, with the same semantics; a worker that dies or hangs answers its requests 503, nothing of them counted.
 *
 * Nothing from a log line is ever logged here: a line may hold secrets. Failures are logged by source and rule name.
 */

/** The body of a logs request as the content-type parsers leave it: its bytes, read later by `readLogBytes`. */
export class LogsText {
  constructor(readonly bytes: Buffer) {}
}

/** One engine per gateway (the state it holds is this process's), made on first use with the server's logger; stopped with the server. */
const engines = new WeakMap<Gateway, LogRules>();
export function logRulesOf(gw: Gateway, log: FastifyBaseLogger): LogRules {
  let e = engines.get(gw);
  if (!e) {
    e = new LogRules({
      ingest: (source, events) => gw.ingest(source, events),
      now: () => Date.now(),
      failed: (err, source, rule) =>
        log.error({ source, rule, error: err instanceof Error ? err.constructor.name : 'unknown', code: (err as { code?: unknown })?.code }, 'log rule: the update of its alert failed; its matches are sent with the next one'),
    });
    engines.set(gw, e);
  }
  return e;
}

/**
 * The worker threads of a gateway's logs sources, started by the first body that goes to them (a config without
 * logs sources, or whose bodies are all small, never pays a thread's memory); as many as the largest `workers` asked.
 */
const pools = new WeakMap<Gateway, LogsPool>();
function poolOf(gw: Gateway, log: FastifyBaseLogger, size: number): LogsPool {
  let p = pools.get(gw);
  if (!p) pools.set(gw, (p = new LogsPool({ size, log })));
  else p.grow(size);
  return p;
}

/**
 * Below this many bytes a body is read on the main thread. Measured with the 50 rules of bench/logs.ts: a 6 KB
 * body (20 events) takes 220 µs of CPU and 330 µs of wall time through a worker, against 100 and 130 µs read here; a
 * 25 KB one 490/620 µs against 320/430. A small body gains the main thread little and costs twice the CPU.
 */
export const WORKER_MIN_BYTES = 16 * 1024;

/** Stops the engine of a gateway, if one was made: its alerts' unsent counts go out now; then its worker threads. */
export async function stopLogRules(gw: Gateway): Promise<void> {
  await engines.get(gw)?.stop();
  await pools.get(gw)?.close();
  pools.delete(gw);
}

/** A body read for its rules, on a worker thread or here: the counts `apply`/`applyTally` take, or a 400 or 503. */
async function readForRules(gw: Gateway, request: FastifyRequest, source: SourceConfig & { options: LogsOptions }, bytes: Buffer): Promise<
  { ok: true; events: number; skipped: number; apply: (engine: LogRules) => Promise<LogsOutcome> } | { ok: false; problems: FieldProblem[] }
> {
  const options = source.options;
  if (options.workers > 0 && bytes.length >= WORKER_MIN_BYTES) {
    // The bytes are moved to the thread, not copied: only a buffer that owns its whole memory can be.
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Uint8Array.prototype.slice.call(bytes);
    const answer = await poolOf(gw, request.server.log, options.workers).read(options, own);
    if (!answer.ok) {
      gw.metrics.reject(source.name, answer.reason === 'unavailable' ? 503 : 500);
      if (answer.reason === 'failed') throw new ApiError(500, 'internal', 'internal error; see the tocsin log');
      throw new ApiError(503, 'unavailable', 'the thread reading this body ended before it was done (see the tocsin log); nothing of it was counted: retry', undefined, { 'retry-after': '1' });
    }
    const t = answer.tally;
    if (!t.ok) return t;
    return { ok: true, events: t.events, skipped: t.skipped, apply: (engine) => engine.applyTally(source, options, t) };
  }
  const collect = collectMatches(options);
  const parsed = readLogBytes(bytes, collect.add);
  if (!parsed.ok) return parsed;
  return { ok: true, events: parsed.events, skipped: parsed.skipped, apply: (engine) => engine.apply(source, options, collect.matched) };
}

/** For a logs source: a gzip body is inflated as it arrives, up to body_limit × GZIP_EXPANSION (gzip.ts says why). */
export function logsPayload(request: FastifyRequest, source: SourceConfig, payload: RequestPayload, rejected: (status: number) => void): RequestPayload {
  const encoding = acceptsGzip(request.headers['content-encoding']);
  if (encoding === 'identity') return payload;
  if (encoding === 'other') {
    rejected(415);
    throw new ApiError(415, 'unsupported_media_type', 'Content-Encoding must be gzip or none');
  }
  const cap = source.bodyLimit * GZIP_EXPANSION;
  return gunzipCapped(
    payload,
    cap,
    () => {
      rejected(413);
      return new ApiError(413, 'body_too_large', `the gzip body inflates to over ${cap} bytes; this source accepts at most ${cap} (body_limit × ${GZIP_EXPANSION})`);
    },
    () => {
      rejected(400);
      return new ApiError(400, 'invalid_body', 'the body is not valid gzip (Content-Encoding: gzip)');
    },
  ) as unknown as RequestPayload;
}

export async function handleLogs(gw: Gateway, request: FastifyRequest, reply: FastifyReply, source: SourceConfig & { options: LogsOptions }) {
  const body = request.body;
  const bytes = body instanceof LogsText ? body.bytes : undefined;
  if (bytes === undefined) throw badRequest([{ field: '(body)', message: 'send log events as NDJSON, a JSON array or {"batch": [...]}' }]);
  const parsed = await readForRules(gw, request, source, bytes);
  if (!parsed.ok) {
    gw.metrics.reject(source.name, 400);
    throw badRequest(parsed.problems);
  }
  let outcome;
  try {
    outcome = await parsed.apply(logRulesOf(gw, request.server.log));
  } catch (e) {
    gw.metrics.reject(source.name, storageUnavailable(e) ? 503 : 500);
    throw e;
  }
  const warnings = [...(request.queryWarnings ?? []), ...(parsed.skipped ? [skippedWarning(parsed.skipped)] : []), ...outcome.warnings];
  const answer = { events: parsed.events, matched: outcome.matched, results: outcome.results };
  return reply.code(202).send(warnings.length ? { ...answer, warnings } : answer);
}
