/**
 * The emulator's HTTP server: fastify wiring for the emulated incident.io routes, the request log,
 * pause and fault hooks, and the one place where answers become responses.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Clock } from '../domain/clock.ts';
import { alertEventRoutes } from './alert-events.ts';
import { alertRoutes } from './alerts.ts';
import { MAX_BODY_BYTES, tooLarge } from './body.ts';
import type { EmulatorContext, Route } from './context.ts';
import { envelope, rejection, typeForStatus, type Answer, type Rejection } from './errors.ts';
import { describeFault, type Fault, type Faults, type PauseGate } from './faults.ts';
import { incidentRoutes } from './incidents.ts';
import { heartbeatRoutes, registerHeartbeatInspection } from './heartbeats.ts';
import { registerInspection, type Limits } from './inspect.ts';
import { orgRoutes } from './org-routes.ts';
import type { Outage } from './outage.ts';
import { DeepQuery } from './query.ts';
import { redactUrl, type RequestLog, type RequestRecord } from './request-log.ts';

export interface ServerDeps {
  ctx: EmulatorContext;
  log: RequestLog;
  faults: Faults;
  gate: PauseGate;
  outage: Outage;
  clock: Clock;
  /** The limits the emulator started with; a reset returns to them. */
  limits: Limits;
  baseUrl(): string;
  /** True once close() started: answers then ask the client to close its connection. */
  closing(): boolean;
  logger: boolean;
}

export const API_ROUTES: readonly Route[] = [...alertEventRoutes, ...alertRoutes, ...incidentRoutes, ...orgRoutes, ...heartbeatRoutes];

const isApiPath = (path: string): boolean => path.startsWith('/v1/') || path.startsWith('/v2/');

export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    genReqId: () => randomUUID(),
    logger: deps.logger
      ? {
          // The default serializer logs the URL, which may carry `?token=`.
          serializers: { req: (req: FastifyRequest) => ({ method: req.method, url: redactUrl(req.url), request_id: req.id }) },
        }
      : false,
  });
  const records = new WeakMap<IncomingMessage, RequestRecord>();
  /** Requests whose answer a `cut_response` fault breaks off once the route has handled them. */
  const cuts = new WeakSet<IncomingMessage>();
  const nowIso = () => new Date(deps.clock.now()).toISOString();

  // Bodies arrive as raw bytes; routes parse them so that size, media type and syntax errors all get
  // incident.io's error envelope.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (!isApiPath(path)) return;
    const record = deps.log.open(request.method, request.url, request.id, new Date(deps.clock.now()));
    records.set(request.raw, record);
    const held = deps.gate.wait();
    if (held) await held;
    const down = deps.outage.answer();
    if (down) return sendFault(request, reply, down, `outage: status ${down.status}`, record, deps.clock.now());
    const fault = deps.faults.take(path);
    if (!fault) return;
    record.fault = describeFault(fault);
    if (fault.latency_ms) await sleep(fault.latency_ms);
    if (fault.cut_response) {
      cuts.add(request.raw);
      return undefined;
    }
    if (fault.drop_connection) {
      record.outcome = 'dropped';
      record.answered_at = nowIso();
      reply.hijack();
      request.raw.socket.destroy();
      return reply;
    }
    if (fault.status !== undefined) return sendFault(request, reply, { ...fault, status: fault.status }, describeFault(fault), record, deps.clock.now());
    return undefined;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    // A request released from the pause gate during close() is answered after the server stopped
    // closing idle connections; without this its keep-alive socket would hold close() open.
    if (deps.closing()) reply.header('connection', 'close');
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const record = records.get(request.raw);
    if (record && record.outcome === 'pending') {
      record.status = reply.statusCode;
      record.outcome = 'answered';
      record.answered_at = nowIso();
    }
  });

  for (const route of API_ROUTES) {
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        const record = records.get(request.raw);
        if (!record) throw new Error('API request without a request log record');
        const answer = route.handle(deps.ctx, {
          params: request.params as Record<string, string>,
          query: new DeepQuery(request.url),
          headers: request.headers,
          body: request.body,
          record,
        });
        if (cuts.has(request.raw)) return cut(request, reply, answer, record, nowIso());
        return send(request, reply, answer, record);
      },
    });
  }

  registerInspection(app, deps);
  registerHeartbeatInspection(app, deps);

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const answer = rejection(404, 'not_found', [
      { code: 'not_found', message: `${request.method} ${path.slice(0, 200)} is not an endpoint the emulator serves` },
    ]);
    return send(request, reply, answer, records.get(request.raw));
  });

  app.setErrorHandler(async (error: { code?: string; statusCode?: number; message: string }, request, reply) => {
    let answer: Rejection;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      answer = tooLarge();
    } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      answer = rejection(error.statusCode, typeForStatus(error.statusCode), [{ code: 'bad_request', message: error.message }]);
    } else {
      request.log.error({ err: error }, 'emulator bug');
      answer = rejection(500, 'internal_server_error', [
        { code: 'internal_server_error', message: 'The emulator failed to handle this request (a bug in the emulator, not in your request)' },
      ]);
    }
    return send(request, reply, answer, records.get(request.raw));
  });

  return app;
}

function send(request: FastifyRequest, reply: FastifyReply, answer: Answer, record: RequestRecord | undefined): FastifyReply {
  if (answer.headers) reply.headers(answer.headers);
  reply.code(answer.status);
  if (answer.kind === 'ok') return reply.send(answer.body);
  if (record) record.errors = answer.errors;
  return reply.send(envelope(answer, request.id));
}

/** The answer has taken effect; the caller gets its status line, headers and half its body, then a reset. */
function cut(request: FastifyRequest, reply: FastifyReply, answer: Answer, record: RequestRecord, now: string): FastifyReply {
  const body = JSON.stringify(answer.kind === 'ok' ? answer.body : envelope(answer, request.id));
  if (answer.kind === 'rejection') record.errors = answer.errors;
  record.status = answer.status;
  record.outcome = 'cut';
  record.answered_at = now;
  reply.hijack();
  const headers = { ...answer.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': request.id };
  reply.raw.writeHead(answer.status, headers);
  reply.raw.write(body.slice(0, Math.floor(body.length / 2)));
  // Give the caller time to read the status line before the reset, so it sees an answer begin and break off.
  setTimeout(() => request.raw.socket.resetAndDestroy(), 50);
  return reply;
}

type FaultAnswer = Pick<Fault, 'retry_after' | 'body'> & { status: number };

function sendFault(request: FastifyRequest, reply: FastifyReply, fault: FaultAnswer, description: string, record: RequestRecord, now: number): FastifyReply {
  const status = fault.status;
  record.fault = description;
  if (fault.retry_after !== undefined) reply.header('retry-after', String(fault.retry_after));
  if (fault.body !== undefined) {
    reply.code(status);
    return typeof fault.body === 'string' ? reply.type('text/plain; charset=utf-8').send(fault.body) : reply.send(fault.body);
  }
  const type = typeForStatus(status);
  const answer = rejection(status, type, [{ code: type, message: `Fault injected by the emulator (${description})` }]);
  if (status === 429 && typeof fault.retry_after === 'number') {
    answer.rateLimit = {
      name: 'injected fault',
      limit: 0,
      remaining: 0,
      retry_after: new Date(now + fault.retry_after * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  }
  return send(request, reply, answer, record);
}
