/**
 * A local STAND-IN for a Microsoft Teams Workflows (Power Automate) webhook — not Teams. With the incident.io emulator,
 * the Slack and the Telegram stand-ins, the only stand-ins tocsin's tests use (issue 9). It serves what a flow started
 * by "When a Teams webhook request is received" answers, at the path such URLs have:
 * `POST /workflows/<id>/triggers/manual/paths/invoke?api-version=…&sp=…&sv=1.0&sig=<signature>`.
 *
 * Answers as Power Automate does: an unknown workflow is 404 `WorkflowNotFound`; a wrong or missing `sig` 401
 * `DirectApiInvalidAuthorizationSignature`; a body that is not JSON 400 `InvalidRequestContent`; success 202 with no
 * body. Errors are `{error: {code, message}}`. Rate limit: more than `perSecond` requests within one second answer 429
 * `WorkflowRequestsThrottled` with `Retry-After: 1`; `fail()` scripts answers (429 with Retry-After, 5xx) for the next
 * requests.
 *
 * The documented contract it checks on every request: `{type: "message", attachments: [{contentType:
 * "application/vnd.microsoft.card.adaptive", content}]}` where content is an AdaptiveCard of version 1.0–1.5 with a
 * `body` array of known element types, each TextBlock's `text` a non-empty string, each FactSet's facts `{title,
 * value}` strings; and Teams' message limit of 28 KB (UTF-8 bytes of the body). The real trigger accepts such a
 * request with 202 and the card post then fails inside the flow run, where the sender cannot see it; the stand-in
 * refuses it instead (400 `InvalidTeamsMessage`, 413 `MessageSizeExceeded`) so a test notices the contract broken.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TeamsRequest {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  bytes: number;
  /** What the stand-in answered: `accepted`, or the error code. */
  answer: string;
}

export interface TeamsCard {
  workflow: string;
  card: any;
  /** The first TextBlock's text (the card's title line). */
  title: string;
}

export interface TeamsStandinOptions {
  /** workflow id → its signature (`sig=`). */
  workflows?: Record<string, string>;
  perSecond?: number;
}

type Scripted = { status: number; retryAfter?: string; code?: string };

export const MAX_BYTES = 28 * 1024;
const ELEMENTS = new Set(['TextBlock', 'FactSet', 'Container', 'ColumnSet', 'Image', 'RichTextBlock', 'ActionSet', 'ImageSet', 'Table']);

/** The first way a body breaks the Workflows trigger's documented shape, or undefined. */
export function messageProblem(body: any): string | undefined {
  if (body?.type !== 'message') return 'type must be "message"';
  if (!Array.isArray(body.attachments) || body.attachments.length === 0) return 'attachments must be a non-empty array';
  for (const [i, a] of body.attachments.entries()) {
    if (a?.contentType !== 'application/vnd.microsoft.card.adaptive') return `attachments[${i}].contentType must be application/vnd.microsoft.card.adaptive`;
    const c = a.content;
    if (c?.type !== 'AdaptiveCard') return `attachments[${i}].content.type must be AdaptiveCard`;
    if (!/^1\.[0-5]$/.test(String(c.version))) return `attachments[${i}].content.version must be 1.0–1.5`;
    if (!Array.isArray(c.body) || c.body.length === 0) return `attachments[${i}].content.body must be a non-empty array`;
    for (const [j, e] of c.body.entries()) {
      if (!ELEMENTS.has(e?.type)) return `body[${j}]: unknown element ${String(e?.type)}`;
      if (e.type === 'TextBlock' && (typeof e.text !== 'string' || e.text.length === 0)) return `body[${j}]: TextBlock text must be a non-empty string`;
      if (e.type === 'FactSet' && (!Array.isArray(e.facts) || !e.facts.every((f: any) => typeof f?.title === 'string' && typeof f?.value === 'string'))) return `body[${j}]: facts must be {title, value} strings`;
    }
    for (const act of c.actions ?? []) if (act?.type === 'Action.OpenUrl' && !/^https?:\/\//.test(String(act.url))) return 'Action.OpenUrl needs an http(s) url';
  }
  return undefined;
}

export class TeamsStandin {
  readonly requests: TeamsRequest[] = [];
  readonly cards: TeamsCard[] = [];
  private readonly scripted: Scripted[] = [];
  private recent: number[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly o: Required<TeamsStandinOptions>,
  ) {}

  static async start(options: TeamsStandinOptions = {}): Promise<TeamsStandin> {
    const o: Required<TeamsStandinOptions> = { workflows: options.workflows ?? { a1b2c3d4e5f60718293a4b5c6d7e8f90: 'standinSig0123456789abcdefABCDEF' }, perSecond: options.perSecond ?? 4 };
    let self: TeamsStandin | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => self!.handle(req.url ?? '', req.method ?? '', req.headers, Buffer.concat(chunks), res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    self = new TeamsStandin(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, o);
    return self;
  }

  /** The webhook URL of a workflow the stand-in knows, shaped like Power Automate's. */
  workflowUrl(id = Object.keys(this.o.workflows)[0]!, sig = this.o.workflows[id] ?? 'nosig'): string {
    return `${this.url}/workflows/${id}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`;
  }

  fail(count: number, answer: Scripted): void {
    for (let i = 0; i < count; i++) this.scripted.push(answer);
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  private handle(rawPath: string, method: string, headers: IncomingHttpHeaders, raw: Buffer, res: ServerResponse): void {
    let body: any;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    const u = new URL(rawPath, 'http://standin');
    const record = (answer: string) => this.requests.push({ at: Date.now(), path: u.pathname, headers, body: body ?? raw.toString('utf8'), bytes: raw.length, answer });
    const error = (status: number, code: string, message: string, extra: Record<string, string> = {}) => {
      record(code);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...extra }).end(JSON.stringify({ error: { code, message } }));
    };
    const scripted = this.scripted.shift();
    if (scripted) {
      const code = scripted.code ?? (scripted.status === 429 ? 'WorkflowRequestsThrottled' : 'ServiceUnavailable');
      return error(scripted.status, code, 'scripted by the test', scripted.retryAfter ? { 'retry-after': scripted.retryAfter } : {});
    }
    const m = /^\/workflows\/([^/]+)\/triggers\/manual\/paths\/invoke$/.exec(u.pathname);
    if (!m || !(m[1]! in this.o.workflows)) return error(404, 'WorkflowNotFound', `The workflow '${m?.[1] ?? ''}' could not be found.`);
    if (method !== 'POST') return error(405, 'MethodNotAllowed', 'The trigger accepts POST only.');
    if (u.searchParams.get('sig') !== this.o.workflows[m[1]!]) return error(401, 'DirectApiInvalidAuthorizationSignature', 'The provided authorization signature is not valid.');
    if (!/^application\/json/.test(headers['content-type'] ?? '') || body === undefined) return error(400, 'InvalidRequestContent', 'The request content is not valid JSON.');
    if (raw.length > MAX_BYTES) return error(413, 'MessageSizeExceeded', `The message is ${raw.length} bytes; Teams accepts at most 28 KB.`);
    const problem = messageProblem(body);
    if (problem) return error(400, 'InvalidTeamsMessage', problem);
    const now = Date.now();
    this.recent = this.recent.filter((t) => now - t < 1000);
    if (this.recent.length >= this.o.perSecond) return error(429, 'WorkflowRequestsThrottled', 'Rate limit is exceeded. Try again in 1 seconds.', { 'retry-after': '1' });
    this.recent.push(now);
    for (const a of body.attachments) this.cards.push({ workflow: m[1]!, card: a.content, title: a.content.body[0]?.text ?? '' });
    record('accepted');
    res.writeHead(202, { 'content-length': '0' }).end();
  }
}
