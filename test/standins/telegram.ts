/**
 * A local STAND-IN for the Telegram Bot API — not Telegram. With the incident.io emulator and the Slack and Teams
 * stand-ins, the only stand-ins tocsin's tests use (issue 9). It serves `POST /bot<token>/sendMessage` and
 * `/bot<token>/editMessageText` as Telegram documents them, with a JSON body (`application/json`; Telegram also takes
 * forms, which tocsin never sends):
 *
 * - an unknown token is 401 `Unauthorized`; a path that is not `/bot<token>/<known method>` 404 `Not Found`;
 * - `chat_id` must name a known chat, by id or @username (400 `Bad Request: chat not found`); a group that became a
 *   supergroup answers 400 with `parameters.migrate_to_chat_id`; a chat the bot is not in 403 `Forbidden: bot is not a
 *   member of the group chat`;
 * - `text` with `parse_mode: HTML` must parse: only Telegram's tags (b, strong, i, em, u, ins, s, strike, del, a href,
 *   code, pre, span class="tg-spoiler", tg-spoiler, blockquote), properly nested; every other <, > and & written as
 *   an entity (&lt; &gt; &amp; &quot; or numeric) — else 400 `Bad Request: can't parse entities: …`;
 * - the text after parsing must be 1–4096 characters (UTF-16 units): 400 `message text is empty` / `message is too long`;
 * - editMessageText needs the chat's message_id (400 `Bad Request: message to edit not found`), and a new text
 *   (400 `Bad Request: message is not modified: …`).
 *
 * Answers are `{ok: true, result: Message}` or `{ok: false, error_code, description, parameters}` with the HTTP status
 * equal to error_code. Rate limit: more than `perChatPerMinute` requests to one chat within a minute (Telegram's
 * documented 20 for a group) answer 429 `Too Many Requests: retry after N` with `parameters.retry_after: N` (and no
 * Retry-After header, as Telegram); `fail()` scripts answers (429 with retry_after, 5xx) for the next requests.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TelegramRequest {
  at: number;
  method: string;
  body: any;
  /** `ok`, or Telegram's description. */
  answer: string;
}

export interface TelegramMessage {
  chatId: number;
  messageId: number;
  html: string;
  /** The text after parsing (what the user sees). */
  text: string;
  edits: number;
  silent: boolean;
}

export interface TelegramChat {
  id: number;
  username?: string;
  member?: boolean;
  migrateTo?: number;
}

export interface TelegramStandinOptions {
  tokens?: string[];
  chats?: TelegramChat[];
  perChatPerMinute?: number;
}

type Scripted = { status: number; retryAfter?: number; description?: string };

const TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'span', 'tg-spoiler', 'blockquote']);
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/** Telegram's HTML parse mode: the visible text, or the reason it cannot be parsed. */
export function parseHtml(html: string): { text: string } | { error: string } {
  const stack: string[] = [];
  let text = '';
  let i = 0;
  while (i < html.length) {
    const ch = html[i]!;
    if (ch === '<') {
      const m = /^<(\/?)([a-z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>/.exec(html.slice(i));
      if (!m) return { error: `Unsupported start tag at byte offset ${i}` };
      const [whole, closing, tag, attrs] = m;
      if (!TAGS.has(tag!)) return { error: `Unsupported start tag "${tag}" at byte offset ${i}` };
      if (closing) {
        if (stack.pop() !== tag) return { error: `Can't find end tag corresponding to start tag "${tag}"` };
      } else {
        if (tag === 'a' && !/\bhref="[^"]+"/.test(attrs!)) return { error: 'Can\'t find href in "a" tag' };
        if (tag === 'span' && !/class="tg-spoiler"/.test(attrs!)) return { error: 'Tag "span" must have class "tg-spoiler"' };
        stack.push(tag!);
      }
      i += whole!.length;
    } else if (ch === '&') {
      const m = /^&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-z]+);/.exec(html.slice(i));
      if (!m) return { error: `Can't parse "&" at byte offset ${i}: write &amp;` };
      const name = m[1]!;
      if (name.startsWith('#')) text += String.fromCodePoint(name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10));
      else if (NAMED[name]) text += NAMED[name];
      else return { error: `Unsupported HTML entity "&${name};"` };
      i += m[0].length;
    } else if (ch === '>') {
      return { error: `Unexpected ">" at byte offset ${i}: write &gt;` };
    } else {
      text += ch;
      i++;
    }
  }
  if (stack.length) return { error: `Can't find end tag corresponding to start tag "${stack.at(-1)}"` };
  return { text };
}

export class TelegramStandin {
  readonly requests: TelegramRequest[] = [];
  readonly messages: TelegramMessage[] = [];
  private readonly scripted: Scripted[] = [];
  private readonly window = new Map<number, number[]>();
  private seq = 100;
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly o: Required<TelegramStandinOptions>,
  ) {}

  static async start(options: TelegramStandinOptions = {}): Promise<TelegramStandin> {
    const o: Required<TelegramStandinOptions> = {
      tokens: options.tokens ?? ['123456789:AAStandinTokenStandinToken0123456'],
      chats: options.chats ?? [{ id: -1001234567890, username: 'alerts' }],
      perChatPerMinute: options.perChatPerMinute ?? 20,
    };
    let self: TelegramStandin | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => self!.handle(req.url ?? '', req.method ?? '', req.headers['content-type'] ?? '', Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    self = new TelegramStandin(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, o);
    return self;
  }

  fail(count: number, answer: Scripted): void {
    for (let i = 0; i < count; i++) this.scripted.push(answer);
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  private handle(path: string, httpMethod: string, contentType: string, raw: string, res: ServerResponse): void {
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(path);
    const method = m?.[2] ?? path;
    const reply = (status: number, payload: Record<string, unknown>) => {
      this.requests.push({ at: Date.now(), method, body: body ?? raw, answer: payload['ok'] === true ? 'ok' : String(payload['description']) });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    const fail = (code: number, description: string, parameters?: Record<string, number>) => reply(code, { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) });
    const scripted = this.scripted.shift();
    if (scripted) {
      const description = scripted.description ?? (scripted.status === 429 ? `Too Many Requests: retry after ${scripted.retryAfter ?? 1}` : 'Internal Server Error');
      return fail(scripted.status, description, scripted.retryAfter !== undefined ? { retry_after: scripted.retryAfter } : undefined);
    }
    if (!m || !['sendMessage', 'editMessageText'].includes(m[2]!)) return fail(404, 'Not Found');
    if (!this.o.tokens.includes(decodeURIComponent(m[1]!))) return fail(401, 'Unauthorized');
    if (httpMethod !== 'POST' || !/^application\/json/.test(contentType) || body === null || typeof body !== 'object') return fail(400, 'Bad Request: the stand-in takes a JSON POST body');
    if (body.chat_id === undefined || body.chat_id === '') return fail(400, 'Bad Request: chat_id is empty');
    const given = String(body.chat_id);
    const chat = this.o.chats.find((c) => String(c.id) === given || (c.username && `@${c.username}` === given));
    if (!chat) return fail(400, 'Bad Request: chat not found');
    if (chat.migrateTo !== undefined) return fail(400, 'Bad Request: group chat was upgraded to a supergroup chat', { migrate_to_chat_id: chat.migrateTo });
    if (chat.member === false) return fail(403, 'Forbidden: bot is not a member of the group chat');
    if (typeof body.text !== 'string') return fail(400, 'Bad Request: message text is empty');
    if (body.parse_mode !== undefined && body.parse_mode !== 'HTML') return fail(400, `Bad Request: unsupported parse_mode ${String(body.parse_mode)} (the stand-in checks HTML only)`);
    let text = body.text as string;
    if (body.parse_mode === 'HTML') {
      const parsed = parseHtml(text);
      if ('error' in parsed) return fail(400, `Bad Request: can't parse entities: ${parsed.error}`);
      text = parsed.text;
    }
    if (text.trim().length === 0) return fail(400, 'Bad Request: message text is empty');
    if (text.length > 4096) return fail(400, 'Bad Request: message is too long');
    const now = Date.now();
    const recent = (this.window.get(chat.id) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.o.perChatPerMinute) {
      const retry = Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000));
      return fail(429, `Too Many Requests: retry after ${retry}`, { retry_after: retry });
    }
    recent.push(now);
    this.window.set(chat.id, recent);
    const result = (msg: TelegramMessage, edited: boolean) => ({
      message_id: msg.messageId,
      date: Math.floor(now / 1000),
      ...(edited ? { edit_date: Math.floor(now / 1000) } : {}),
      chat: { id: chat.id, type: 'supergroup', title: chat.username ?? 'chat' },
      text: msg.text,
    });
    if (m[2] === 'sendMessage') {
      const msg = { chatId: chat.id, messageId: ++this.seq, html: body.text, text, edits: 0, silent: body.disable_notification === true };
      this.messages.push(msg);
      return reply(200, { ok: true, result: result(msg, false) });
    }
    const msg = this.messages.find((x) => x.chatId === chat.id && x.messageId === body.message_id);
    if (!msg) return fail(400, 'Bad Request: message to edit not found');
    if (msg.html === body.text) return fail(400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    msg.html = body.text;
    msg.text = text;
    msg.edits++;
    reply(200, { ok: true, result: result(msg, true) });
  }
}
