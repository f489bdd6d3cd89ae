/**
 * A small pool of worker threads that read logs request bodies (gunzipped by zlib's own threads as they arrive):
 * the JSON parsing of every line, the rule set, group values and sample copies run there, so a logs source uses the
 * machine's other cores and the main thread keeps only HTTP, the rules' windows and the database (issue 10).
 *
 * - Rule sets are versioned: each LogsOptions (one per config load of a source) gets an id, sent to a worker before
 *   the first body that needs it; a request carries the id of the options it started with, so a reload never changes
 *   how a body in flight is read. A worker keeps the last MAX_SETS it was sent; the oldest is dropped by a message
 *   that, coming after the requests before it, cannot overtake one that names it.
 * - The body goes as the string Fastify's parser made (one copy, a memcpy for ASCII text): encoding it to bytes to
 *   transfer them cost the main thread more (3.2 against 2.6 µs per event, bench/logs.ts) for a copy it saves. Bytes
 *   are taken too, and transferred, not copied. The answer is a tally (protocol.ts), bounded whatever the body.
 * - A worker that dies (an exception, its heap limit) or holds a request past `hangMs` is ended; every request it
 *   held is answered `unavailable` (a 503: our fault, the sender retries) and a new worker takes its place. What is
 *   logged is the worker's number and the error's class or code, never anything from a body.
 */
import type { Worker } from 'node:worker_threads';
import type { LogsOptions } from '../rules/config.ts';
import type { BodyTally, FromWorker, RuleSetSpec, ToWorker } from './protocol.ts';
import { startWorker } from './spawn.ts';

export type PoolAnswer = { ok: true; tally: BodyTally } | { ok: false; reason: 'unavailable' | 'failed' };

export interface PoolLog {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface PoolOptions {
  size: number;
  log: PoolLog;
  /** A request held longer than this means the worker is stuck: it is ended and replaced. */
  hangMs?: number;
  /** The worker's file, relative to `base` (tests start their own). */
  file?: string;
  base?: string;
  /** The worker's heap: a body that would take more ends that worker (503), never the process. */
  maxOldGenerationSizeMb?: number;
}

const MAX_SETS = 32;
export const DEFAULT_HANG_MS = 30_000;

interface Pending {
  resolve(a: PoolAnswer): void;
  /** Armed once the thread is running: its start-up (loading the code) is not a hang. */
  timer?: NodeJS.Timeout;
}

interface Member {
  index: number;
  worker: Worker;
  pending: Map<number, Pending>;
  /** Rule set ids this worker has, oldest use first. */
  known: Set<number>;
  dead: boolean;
  online: boolean;
  /** What the thread threw, kept for its 'exit' (see start()). */
  thrown?: Error;
}

let nextSetId = 1;
const setIds = new WeakMap<LogsOptions, RuleSetSpec>();

/** The version of a source's rules as a worker is sent them (one per LogsOptions, i.e. per config load). */
export function specOf(options: LogsOptions): RuleSetSpec {
  let spec = setIds.get(options);
  if (!spec) {
    spec = {
      id: nextSetId++,
      queries: options.rules.map((r) => r.query),
      rules: options.rules.map((r) => ({ groupBy: r.groupBy, count: r.count, sample: r.sample, title: r.title })),
    };
    setIds.set(options, spec);
  }
  return spec;
}

export class LogsPool {
  private readonly members: Member[] = [];
  private seq = 0;
  private closed = false;
  private readonly hangMs: number;

  constructor(private readonly o: PoolOptions) {
    this.hangMs = o.hangMs ?? DEFAULT_HANG_MS;
    for (let i = 0; i < Math.max(1, o.size); i++) this.members.push(this.start(i));
  }

  get size(): number {
    return this.members.length;
  }

  /** At least `size` threads (a reload asked for more); never fewer: a shrink waits for a restart. */
  grow(size: number): void {
    while (!this.closed && this.members.length < size) this.members.push(this.start(this.members.length));
  }

  /** Reads `body` for `options` on the least busy worker (bytes are UTF-8, transferred: unusable here afterwards). */
  read(options: LogsOptions, body: Uint8Array | string): Promise<PoolAnswer> {
    if (this.closed) return Promise.resolve({ ok: false, reason: 'unavailable' });
    let m = this.members[0]!;
    for (const c of this.members) if (c.pending.size < m.pending.size) m = c;
    const spec = specOf(options);
    if (m.known.has(spec.id)) m.known.delete(spec.id);
    else {
      this.post(m, { type: 'rules', spec });
      if (m.known.size >= MAX_SETS) {
        const oldest = m.known.values().next().value!;
        m.known.delete(oldest);
        this.post(m, { type: 'drop', id: oldest });
      }
    }
    m.known.add(spec.id);
    const seq = ++this.seq;
    return new Promise<PoolAnswer>((resolve) => {
      // A thread with requests keeps the process alive until it answers them (an idle one does not).
      if (m.pending.size === 0) m.worker.ref();
      const p: Pending = { resolve };
      if (m.online) this.arm(m, p);
      m.pending.set(seq, p);
      this.post(m, { type: 'read', seq, rules: spec.id, body }, typeof body === 'string' ? undefined : [body.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.members.map((m) => this.end(m)));
  }

  private arm(m: Member, p: Pending) {
    p.timer = setTimeout(() => this.fail(m, 'hung', undefined), this.hangMs);
    p.timer.unref();
  }

  private post(m: Member, msg: ToWorker, transfer?: ArrayBuffer[]) {
    m.worker.postMessage(msg, transfer);
  }

  private start(index: number): Member {
    const worker = startWorker(this.o.file ?? './worker.ts', { maxOldGenerationSizeMb: this.o.maxOldGenerationSizeMb ?? 512 }, this.o.base);
    const m: Member = { index, worker, pending: new Map(), known: new Set(), dead: false, online: false };
    worker.unref();
    worker.once('online', () => {
      m.online = true;
      for (const p of m.pending.values()) this.arm(m, p);
    });
    worker.on('message', (a: FromWorker) => {
      const p = m.pending.get(a.seq);
      if (!p) return;
      m.pending.delete(a.seq);
      clearTimeout(p.timer);
      if (m.pending.size === 0) worker.unref();
      if ('tally' in a) p.resolve({ ok: true, tally: a.tally });
      else {
        this.o.log.error({ worker: index, error: a.failed }, 'logs worker: reading a body failed (a bug in tocsin); answered 500');
        p.resolve({ ok: false, reason: 'failed' });
      }
    });
    // A thrown error arrives on the worker's internal port, and may overtake answers the thread posted just before
    // it: failing then would answer those requests 503. 'exit' follows, after Node delivered every posted message.
    worker.on('error', (e: Error) => (m.thrown = e));
    worker.on('exit', (code) => this.fail(m, m.thrown ? 'crashed' : 'exited', m.thrown, code));
    return m;
  }

  /** The member is gone or stuck: its requests answered unavailable, the thread ended, a new one in its place. */
  private fail(m: Member, how: 'crashed' | 'exited' | 'hung', e: Error | undefined, exitCode?: number) {
    if (m.dead) return;
    m.dead = true;
    const held = m.pending.size;
    for (const p of m.pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, reason: 'unavailable' });
    }
    m.pending.clear();
    void m.worker.terminate();
    if (this.closed) return;
    const code = (e as { code?: unknown } | undefined)?.code;
    this.o.log.warn({ worker: m.index, how, error: e?.constructor.name, code, exitCode, requests: held }, 'logs worker: ended and replaced; the requests it held were answered 503');
    this.members[this.members.indexOf(m)] = this.start(m.index);
  }

  private async end(m: Member) {
    m.dead = true;
    for (const p of m.pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, reason: 'unavailable' });
    }
    m.pending.clear();
    await m.worker.terminate();
  }
}
