/**
 * A stand-in for worker.ts in pool.test.ts: it answers like a worker, except when the body says otherwise —
 * `crash` throws out of the thread, `hang` never answers, `oom` fills its heap past the pool's limit, `exit` exits.
 */
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from '../protocol.ts';

const decoder = new TextDecoder();
parentPort!.on('message', (m: ToWorker) => {
  if (m.type !== 'read') return;
  const body = typeof m.body === "string" ? m.body : decoder.decode(m.body);
  if (body === 'crash') throw new TypeError('boom');
  if (body === 'hang') for (;;);
  if (body === 'exit') process.exit(3);
  if (body === 'oom') {
    const hog: string[][] = [];
    for (;;) hog.push(Array.from({ length: 1e5 }, (_, i) => `x${i}`));
  }
  const answer: FromWorker = { seq: m.seq, tally: { ok: true, events: 1, skipped: 0, matched: 0, tallies: [] } };
  parentPort!.postMessage(answer);
});
