import type { FastifyInstance, FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import type { SourceConfig } from '../config/load.ts';
import { isSnsControl } from '../sns/message.ts';
import { SnsHttp } from '../sns/fetch.ts';
import { sourceTypes } from '../sources/registry.ts';
import { anyTokenMatches, presentedTokens } from './auth.ts';
import { ApiError, badRequest } from './errors.ts';
import type { Gateway } from './gateway.ts';
import { limitedBody } from './body-limit.ts';
import { MAX_BODY_DEPTH, PRESCAN_BYTES, splitJsonValues, textTooDeepAt, tooDeepAt } from './json-values.ts';
import { answerSnsControl } from './sns-control.ts';
import { storageUnavailable } from '../storage/unavailable.ts';
import { isLogsSource } from '../sources/logs/logs.ts';
import { handleLogs, logsPayload, LogsText } from './logs-ingest.ts';

declare module 'fastify' {
  interface FastifyRequest {
    tocsinSource?: SourceConfig;
    /** What the sender should know of its query string (a parameter repeated with different values: server.ts). */
    queryWarnings?: string[];
  }
}

type IngestRequest = FastifyRequest<{ Params: { source?: string }; Querystring: Record<string, string | string[] | undefined> }>;

/** Storage down is our fault, and a 503 is what makes Alertmanager (which never retries a 429) send again. */
function unavailable(): ApiError {
  return new ApiError(503, 'unavailable', 'tocsin cannot store alerts right now; retry shortly', undefined, { 'retry-after': '5' });
}

/**
 * One answer for every failed authentication, whatever was wrong: an unknown source and a wrong token look the
 * same. Two challenges: senders that only send credentials once challenged (AWS SNS with `https://user:token@…`)
 * need the Basic one.
 */
function unauthorized(): ApiError {
  return new ApiError(401, 'unauthorized', 'missing or invalid token for this source (send it as Authorization: Bearer, as the Basic password, or as ?token=)', undefined, {
    'www-authenticate': ['Basic realm="tocsin", charset="UTF-8"', 'Bearer realm="tocsin"'],
  });
}

/**
 * The source a request is for: `/ingest/<name>`, or Versus' own path `/api/incidents`, which goes to the versus
 * source named by `?source=`, else the only one configured. Undefined when there is none to speak of.
 */
function sourceFor(gw: Gateway, request: IngestRequest): SourceConfig | undefined {
  const sources = gw.config().sources;
  if (request.params.source !== undefined) return sources.get(request.params.source);
  const versus = [...sources.values()].filter((s) => s.type === 'versus');
  const named = request.query.source;
  if (Array.isArray(named)) return undefined;
  return named ? versus.find((s) => s.name === named) : versus.length === 1 ? versus[0] : undefined;
}

/** The query a parser sees: never the `token` (it is a credential, not a parameter), one value per name. */
function parserQuery(query: IngestRequest['query']): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(query)) if (k !== 'token') out[k] = Array.isArray(v) ? v[0] : v;
  return out;
}

/**
 * AWS SNS posts JSON as `text/plain; charset=UTF-8` (its default `headerContentType`), so the ingest routes read a
 * text/plain body as JSON, with the same parser (and prototype-poisoning guard) as application/json. A text/plain
 * body that does not even start like JSON is what it says, plain text: 415, as for any other non-JSON type.
 * Registered only in the ingest routes' scope: the management API stays JSON-only.
 */
function jsonInPlainText(scope: FastifyInstance) {
  const json = jsonOrSequence(scope);
  return (request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) => {
    const first = body.trimStart()[0];
    if (first !== undefined && first !== '{' && first !== '[') {
      return done(new ApiError(415, 'unsupported_media_type', 'the text/plain body is not JSON; send a JSON object or array (Content-Type: application/json, or text/plain as AWS SNS does)'));
    }
    json(request, body, done);
  };
}

const TOO_DEEP = `nested more than ${MAX_BODY_DEPTH} levels deep (the most tocsin accepts); flatten it`;

/**
 * JSON, or a sequence of JSON values (json-values.ts: Fluent Bit's json_lines and json_stream, NDJSON), read as one
 * array of all their items. Each piece goes through Fastify's guarded parser, as a single document would.
 */
function jsonOrSequence(scope: FastifyInstance) {
  const json = scope.getDefaultJsonParser('error', 'error');
  const parseOne = (request: FastifyRequest, text: string) =>
    new Promise<unknown>((resolve, reject) => json(request, text, (err, value) => (err ? reject(err) : resolve(value))));
  // A body nested deeper than any sender needs is the sender's mistake (400), refused before anything walks it.
  const checked = (value: unknown, done: (err: Error | null, body?: unknown) => void) => {
    const at = tooDeepAt(value, MAX_BODY_DEPTH);
    return at === undefined ? done(null, value) : done(badRequest([{ field: at, message: TOO_DEEP }]));
  };
  return (request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) => {
    // A large body is looked at before it is parsed (json-values.ts: parsing deep nesting is slow); the path is not
    // known yet, the offset is.
    const deepAt = body.length > PRESCAN_BYTES ? textTooDeepAt(body, MAX_BODY_DEPTH) : undefined;
    if (deepAt !== undefined) return done(badRequest([{ field: `(body, character ${deepAt})`, message: TOO_DEEP }]));
    json(request, body, (err, value) => {
      if (!err) return checked(value, done);
      const pieces = splitJsonValues(body);
      if (!pieces) return done(err);
      Promise.all(pieces.map((p) => parseOne(request, p))).then(
        (values) => checked(values.flatMap((v) => (Array.isArray(v) ? v : [v])), done),
        (e: Error) => done(e),
      );
    });
  };
}

type TextParser = (request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) => void;

type BytesParser = (request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => void;

/**
 * Bodies are read as bytes: a logs source's are kept so, read by its own path without one string of the whole body
 * (logs-ingest.ts, sources/logs/body-bytes.ts); every other source's is decoded and parsed here.
 */
function logsAsText(parser: TextParser): BytesParser {
  return (request, body, done) => (isLogsSource(request.tocsinSource) ? done(null, new LogsText(body)) : parser(request, body.toString('utf8'), done));
}

/** Names the limit and the key that sets it; `length` is left out for a chunked body, stopped as it passed the limit. */
function tooLarge(limit: number, length?: number): ApiError {
  const size = length === undefined ? `over ${limit} bytes` : `${length} bytes`;
  return new ApiError(413, 'body_too_large', `the body is ${size}; this source accepts at most ${limit} bytes (body_limit)`);
}

/**
 * Fastify's own limit is fixed when the routes are registered, so it cannot follow a reload (one that raised
 * `body_limit` past it had no effect): it is set out of the way, and the limit of the request's source, as the
 * config in force says, is checked here instead: Content-Length before the body is read, and a chunked body
 * (which has none) while it is read.
 */
const NO_FASTIFY_LIMIT = Number.MAX_SAFE_INTEGER;

/** Where senders post alerts (Versus Incident's own path included). */
export const INGEST_ROUTES: ReadonlySet<string> = new Set(['/ingest/:source', '/api/incidents']);

export function registerIngestRoutes(app: FastifyInstance, gw: Gateway, sns: SnsHttp = new SnsHttp()): void {
  // Auth before the body is read: an unknown source and a wrong token get the same answer, and cost us nothing.
  // A token in the query string stays out of every log line: the server logs the path only (server.ts).
  const authenticate = async (request: IngestRequest) => {
    const source = sourceFor(gw, request);
    if (!source || !anyTokenMatches(presentedTokens(request.headers.authorization, request.query.token), source.token)) {
      gw.metrics.reject(source ? source.name : '(unknown)', 401);
      throw unauthorized();
    }
    const length = Number(request.headers['content-length'] ?? 0);
    if (length > source.bodyLimit) {
      gw.metrics.reject(source.name, 413);
      throw tooLarge(source.bodyLimit, length);
    }
    request.tocsinSource = source;
  };

  // Only a body without Content-Length needs counting: with one, Node's parser never delivers more than it says.
  // A callback hook, not an async one: it runs on every ingest request.
  const limitChunked = (request: IngestRequest, _reply: FastifyReply, payload: RequestPayload, done: (err: Error | null, body?: RequestPayload) => void) => {
    const source = request.tocsinSource!;
    const limited =
      request.headers['content-length'] !== undefined
        ? payload
        : (limitedBody(payload, source.bodyLimit, () => {
            gw.metrics.reject(source.name, 413);
            return tooLarge(source.bodyLimit);
          }) as RequestPayload);
    if (!isLogsSource(source)) return done(null, limited);
    // A logs source takes gzip: the body as sent is limited above, then inflated as it arrives, with its own cap.
    try {
      done(null, logsPayload(request, source, limited, (status) => gw.metrics.reject(source.name, status)));
    } catch (e) {
      done(e as Error);
    }
  };

  const handle = async (request: IngestRequest, reply: FastifyReply) => {
    const source = request.tocsinSource!;
    if (isLogsSource(source)) return handleLogs(gw, request, reply, source);
    const snsType = request.headers['x-amz-sns-message-type'];
    if (isSnsControl(request.body, typeof snsType === 'string' ? snsType : undefined)) return answerSnsControl(request, reply, gw, source, sns);
    const type = sourceTypes[source.type]!;
    const parsed = await type.parse(request.body, { source: source.name, options: source.options, query: parserQuery(request.query), severityMap: source.severityMap, receivedAt: Date.now() });
    if (!parsed.ok) {
      gw.metrics.reject(source.name, 400);
      throw badRequest(parsed.problems);
    }
    let outcome;
    try {
      outcome = await gw.ingest(source, parsed.value.events, parsed.value.destination);
    } catch (e) {
      // Storage that takes no writes is a 503 to retry; anything else is a bug of ours, and says so (500): calling
      // it an outage would hide it behind retries.
      if (!storageUnavailable(e)) {
        gw.metrics.reject(source.name, 500);
        throw e;
      }
      request.log.error({ err: e, source: source.name }, 'ingest failed: storage unavailable');
      gw.metrics.reject(source.name, 503);
      throw unavailable();
    }
    const warnings = [...(request.queryWarnings ?? []), ...(parsed.value.warnings ?? []), ...outcome.warnings];
    return reply.code(202).send(warnings.length ? { results: outcome.results, warnings } : { results: outcome.results });
  };

  app.register(async (scope) => {
    scope.addContentTypeParser('text/plain', { parseAs: 'buffer' }, logsAsText(jsonInPlainText(scope)));
    // Fluent Bit's json_lines says application/x-ndjson (since 3.0) or application/json (before): both are read.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, logsAsText(jsonOrSequence(scope)));
    scope.addContentTypeParser(['application/x-ndjson', 'application/jsonl', 'application/json-seq'], { parseAs: 'buffer' }, logsAsText(jsonOrSequence(scope)));
    const options = { bodyLimit: NO_FASTIFY_LIMIT, onRequest: authenticate, preParsing: limitChunked };
    for (const url of INGEST_ROUTES) scope.post(url, options, handle);
  });
}
