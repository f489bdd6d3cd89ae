import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { changeMarks } from '../storage/overview-repo.ts';
import type { Gateway } from './gateway.ts';

/** How often the database is asked whether anything changed, while at least one browser listens. */
export const POLL_MS = 1000;
/** A comment line this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/**
 * `GET /api/v1/events`: server-sent events for the web UI's live updates. Other instances write to the same database,
 * so changes are found by polling it (overview-repo.ts `changeMarks`), once per process whatever the number of
 * listeners, and only while there is one. Each change is one `change` event; the page then reads what it shows again.
 */
export function registerEventRoutes(api: FastifyInstance, gw: Gateway): void {
  const listeners = new Set<ServerResponse>();
  let marks: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let beats = 0;

  const poll = async () => {
    try {
      const next = await changeMarks(gw.db);
      if (marks !== undefined && next !== marks) for (const res of listeners) res.write(`event: change\ndata: ${JSON.stringify({ marks: next })}\n\n`);
      marks = next;
    } catch (e) {
      // Storage unavailable for a moment: the next poll tries again; pages keep what they show.
      api.log.debug({ err: e }, 'live updates: polling the database failed');
    }
    if (++beats % Math.round(KEEPALIVE_MS / POLL_MS) === 0) for (const res of listeners) res.write(': keep-alive\n\n');
    if (listeners.size) timer = setTimeout(() => void poll(), POLL_MS);
    else timer = undefined;
  };

  api.get('/events', async (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    // The browser reconnects after this many ms if the stream breaks (a restart, a load balancer's idle timeout).
    res.write(`retry: 3000\nevent: hello\ndata: {}\n\n`);
    listeners.add(res);
    request.raw.on('close', () => listeners.delete(res));
    if (!timer) {
      marks = undefined;
      timer = setTimeout(() => void poll(), 0);
    }
  });

  // Streams never end by themselves: a stop must end them, or closing the server would wait out the shutdown timeout.
  api.addHook('preClose', (done) => {
    for (const res of listeners) res.end();
    listeners.clear();
    if (timer) clearTimeout(timer);
    done();
  });
}
