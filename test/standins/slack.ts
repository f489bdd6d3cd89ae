/**
 * A local STAND-IN for Slack — not Slack. Besides the incident.io emulator, the only stand-ins tocsin's tests use
 * (issue 9). It serves the two surfaces the `slack` destination talks to, answering as Slack documents them:
 *
 * - Incoming webhooks, `POST /services/<T>/<B>/<secret>`: a JSON body (else 400 `invalid_payload`) with `text` or
 *   `blocks` (else 400 `no_text`); an unknown URL is 404 `no_service`; success is 200 with the text `ok`.
 * - Web API, `POST /api/chat.postMessage` and `/api/chat.update`: `Authorization: Bearer <token>` (none:
 *   `not_authed`, unknown: `invalid_auth`); a JSON body (`application/json`); a known channel by ID or #name
 *   (`channel_not_found`) the bot is a member of (`not_in_channel`); `text` or `blocks` (`no_text`); chat.update
 *   needs the channel ID and an existing ts (`message_not_found`). Errors are HTTP 200 with `{ok: false, error}`;
 *   success `{ok: true, channel, ts, message}`, the channel always as its ID.
 *
 * Checked on every message (both surfaces): Block Kit's documented limits — at most 50 blocks; header: plain_text,
 * at most 150 characters; section: text at most 3000, at most 10 fields of at most 2000; context: at most 10
 * elements; every text object of type plain_text or mrkdwn and not empty (else `invalid_blocks`) — and top-level text
 * at most 40,000 characters (`msg_too_long`). Rate limits: more than `perChannelPerSecond` posts to one channel within
 * one second answers HTTP 429 with `Retry-After: 1` (Slack allows about one a second, with short bursts), and
 * `fail()` scripts answers (429 with Retry-After, 5xx) for the next requests. Every request is recorded.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackRequest {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  /** What the stand-in answered: `ok`, or the error word. */
  answer: string;
}

export interface SlackMessageRecord {
  channel: string;
  ts: string;
  text: string;
  blocks: any[];
  edits: number;
}

export interface StandinOptions {
  tokens?: string[];
  /** name → id; the bot is a member of those in `member` (default: all). */
  channels?: Record<string, string>;
  member?: string[];
  /** Incoming webhook paths (`/services/T/B/secret`) → channel id. */
  hooks?: Record<string, string>;
  perChannelPerSecond?: number;
}

type Scripted = { status: number; retryAfter?: string; error?: string };

const TEXT_TYPES = new Set(['plain_text', 'mrkdwn']);

/** The first Block Kit limit a message breaks, or undefined. */
export function blockProblem(blocks: unknown): string | undefined {
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > 50) return `${blocks.length} blocks (at most 50)`;
  const textOk = (t: any, max: number, only?: string) =>
    t && typeof t === 'object' && TEXT_TYPES.has(t.type) && (!only || t.type === only) && typeof t.text === 'string' && t.text.length > 0 && t.text.length <= max;
  for (const [i, b] of blocks.entries()) {
    switch (b?.type) {
      case 'header':
        if (!textOk(b.text, 150, 'plain_text')) return `blocks[${i}]: header text must be plain_text of 1–150 characters`;
        break;
      case 'section':
        if (b.text === undefined && b.fields === undefined) return `blocks[${i}]: section needs text or fields`;
        if (b.text !== undefined && !textOk(b.text, 3000)) return `blocks[${i}]: section text must be 1–3000 characters`;
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length > 10) return `blocks[${i}]: at most 10 fields`;
          for (const f of b.fields) if (!textOk(f, 2000)) return `blocks[${i}]: a field must be 1–2000 characters`;
        }
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) return `blocks[${i}]: context needs 1–10 elements`;
        for (const e of b.elements) if (!textOk(e, 3000)) return `blocks[${i}]: a context element must be 1–3000 characters`;
        break;
      case 'divider':
        break;
      case 'actions':
        // Slack: 1–25 elements; a button's text plain_text of at most 75, url at most 3000, action_id at most 255.
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25) return `blocks[${i}]: actions needs 1–25 elements`;
        for (const e of b.elements) {
          if (e?.type !== 'button') return `blocks[${i}]: only button elements are checked here`;
          if (!textOk(e.text, 75, 'plain_text')) return `blocks[${i}]: a button's text must be plain_text of 1–75 characters`;
          if (e.url !== undefined && (typeof e.url !== 'string' || e.url.length > 3000)) return `blocks[${i}]: a button's url must be at most 3000 characters`;
          if (typeof e.action_id !== 'string' || e.action_id.length > 255) return `blocks[${i}]: a button needs an action_id of at most 255 characters`;
          if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') return `blocks[${i}]: a button's style is primary or danger`;
        }
        break;
      default:
        return `blocks[${i}]: unknown block type ${String(b?.type)}`;
    }
  }
  return undefined;
}

export class SlackStandin {
  readonly requests: SlackRequest[] = [];
  readonly messages: SlackMessageRecord[] = [];
  private readonly scripted: Scripted[] = [];
  private readonly posts = new Map<string, number[]>();
  private seq = 0;
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly o: Required<StandinOptions>,
  ) {}

  static async start(options: StandinOptions = {}): Promise<SlackStandin> {
    const o: Required<StandinOptions> = {
      tokens: options.tokens ?? ['xoxb-standin-token-0123456789'],
      channels: options.channels ?? { alerts: 'C0ALERTS01' },
      member: options.member ?? Object.values(options.channels ?? { alerts: 'C0ALERTS01' }),
      hooks: options.hooks ?? { '/services/T000/B000/standinhooksecret0123': 'C0ALERTS01' },
      perChannelPerSecond: options.perChannelPerSecond ?? 2,
    };
    let self: SlackStandin | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => self!.handle(req.url ?? '', req.method ?? '', req.headers, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    self = new SlackStandin(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, o);
    return self;
  }

  /** The incoming webhook URL the stand-in knows (the first one). */
  get hookUrl(): string {
    return `${this.url}${Object.keys(this.o.hooks)[0]}`;
  }
  get apiUrl(): string {
    return `${this.url}/api`;
  }

  /** The next `count` requests get this answer (a 429 with Retry-After, a 500…), whatever they are. */
  fail(count: number, answer: Scripted): void {
    for (let i = 0; i < count; i++) this.scripted.push(answer);
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  private handle(path: string, method: string, headers: IncomingHttpHeaders, raw: string, res: ServerResponse): void {
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const record = (answer: string) => this.requests.push({ at: Date.now(), path, headers, body: body ?? raw, answer });
    const scripted = this.scripted.shift();
    if (scripted) {
      record(scripted.error ?? `HTTP ${scripted.status}`);
      const h: Record<string, string> = { 'content-type': path.startsWith('/api/') ? 'application/json' : 'text/plain' };
      if (scripted.retryAfter) h['retry-after'] = scripted.retryAfter;
      const word = scripted.error ?? (scripted.status === 429 ? 'ratelimited' : 'internal_error');
      res.writeHead(scripted.status, h).end(path.startsWith('/api/') ? JSON.stringify({ ok: false, error: word }) : word);
      return;
    }
    if (method !== 'POST') {
      record('method_not_allowed');
      res.writeHead(405).end();
      return;
    }
    if (path.startsWith('/services/')) return this.incoming(path, headers, body, res, record);
    if (path === '/api/chat.postMessage' || path === '/api/chat.update') return this.webApi(path.slice(5), headers, body, res, record);
    record('unknown_method');
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'unknown_method' }));
  }

  private limited(channel: string, res: ServerResponse, api: boolean): boolean {
    const now = Date.now();
    const recent = (this.posts.get(channel) ?? []).filter((t) => now - t < 1000);
    if (recent.length >= this.o.perChannelPerSecond) {
      res.writeHead(429, { 'retry-after': '1', 'content-type': api ? 'application/json' : 'text/plain' }).end(api ? JSON.stringify({ ok: false, error: 'ratelimited' }) : 'rate_limited');
      return true;
    }
    recent.push(now);
    this.posts.set(channel, recent);
    return false;
  }

  private contentProblem(body: any): string | undefined {
    if (typeof body?.text !== 'string' && body?.blocks === undefined) return 'no_text';
    if (typeof body.text === 'string' && body.text.length > 40_000) return 'msg_too_long';
    if (blockProblem(body.blocks)) return 'invalid_blocks';
    return undefined;
  }

  private incoming(path: string, headers: IncomingHttpHeaders, body: any, res: ServerResponse, record: (a: string) => void): void {
    const text = (status: number, word: string) => {
      record(word);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(word);
    };
    const channel = this.o.hooks[path];
    if (!channel) return text(404, 'no_service');
    if (!/^application\/json/.test(headers['content-type'] ?? '') || body === undefined || typeof body !== 'object') return text(400, 'invalid_payload');
    const problem = this.contentProblem(body);
    if (problem) return text(400, problem);
    if (this.limited(channel, res, false)) return record('rate_limited');
    this.messages.push({ channel, ts: this.nextTs(), text: body.text ?? '', blocks: body.blocks ?? [], edits: 0 });
    text(200, 'ok');
  }

  private webApi(method: string, headers: IncomingHttpHeaders, body: any, res: ServerResponse, record: (a: string) => void): void {
    const answer = (payload: Record<string, unknown>) => {
      record(payload['ok'] === true ? 'ok' : String(payload['error']));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(payload));
    };
    const fail = (error: string) => answer({ ok: false, error });
    const auth = /^Bearer (.+)$/.exec(headers.authorization ?? '');
    if (!auth) return fail('not_authed');
    if (!this.o.tokens.includes(auth[1]!)) return fail('invalid_auth');
    if (!/^application\/json/.test(headers['content-type'] ?? '') || body === undefined || typeof body !== 'object') return fail('invalid_arguments');
    const ids = Object.values(this.o.channels);
    const given = String(body.channel ?? '');
    const id = ids.includes(given) ? given : this.o.channels[given.replace(/^#/, '')];
    if (method === 'chat.update' && !ids.includes(given)) return fail('channel_not_found'); // chat.update takes IDs only
    if (!id) return fail('channel_not_found');
    if (!this.o.member.includes(id)) return fail('not_in_channel');
    const problem = this.contentProblem(body);
    if (problem) return fail(problem);
    if (method === 'chat.postMessage') {
      if (this.limited(id, res, true)) return record('ratelimited');
      const m = { channel: id, ts: this.nextTs(), text: body.text ?? '', blocks: body.blocks ?? [], edits: 0 };
      this.messages.push(m);
      return answer({ ok: true, channel: id, ts: m.ts, message: { type: 'message', text: m.text, blocks: m.blocks, ts: m.ts } });
    }
    const m = this.messages.find((x) => x.channel === id && x.ts === body.ts);
    if (!m) return fail('message_not_found');
    m.text = body.text ?? m.text;
    m.blocks = body.blocks ?? m.blocks;
    m.edits++;
    answer({ ok: true, channel: id, ts: m.ts, text: m.text, message: { text: m.text, blocks: m.blocks } });
  }

  /** Slack's ts: seconds and a six-digit sequence, unique per channel. */
  private nextTs(): string {
    this.seq++;
    return `${Math.floor(Date.now() / 1000)}.${String(this.seq).padStart(6, '0')}`;
  }
}
