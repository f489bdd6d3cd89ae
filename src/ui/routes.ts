/**
 * The web UI: one HTML shell and a few small static files (vanilla JavaScript modules and CSS, no build step), served
 * by the gateway itself under `/ui/`. Everything the pages show comes from the management API (`/api/v1`), called with
 * the session cookie; nothing here reads the database or the config.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { notFound } from '../api/errors.ts';

const STATIC_DIR = new URL('./static/', import.meta.url);
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml' };

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Read once at start: a handful of small files, and a reload never changes them. */
function loadAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const name of readdirSync(STATIC_DIR)) {
    const type = TYPES[name.slice(name.lastIndexOf('.'))];
    if (!type) continue;
    const body = readFileSync(new URL(name, STATIC_DIR));
    out.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
  }
  return out;
}

/**
 * Scripts and styles only from this origin, no inline script, nothing framed, forms post only here: an injected
 * string in an alert's title can at worst be text.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function send(reply: FastifyReply, a: Asset, ifNoneMatch: string | undefined): FastifyReply {
  void reply.headers({ 'content-type': a.type, etag: a.etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
  if (ifNoneMatch === a.etag) return reply.code(304).send();
  return reply.send(a.body);
}

export function registerUi(app: FastifyInstance): void {
  const assets = loadAssets();
  const shell = assets.get('index.html')!;
  const page = async (request: { headers: { 'if-none-match'?: string } }, reply: FastifyReply) => {
    void reply.headers({ 'content-security-policy': CSP, 'x-frame-options': 'DENY' });
    return send(reply, shell, request.headers['if-none-match']);
  };
  app.get('/', async (_request, reply) => reply.redirect('/ui/', 302));
  app.get('/ui', async (_request, reply) => reply.redirect('/ui/', 302));
  app.get<{ Params: { file: string } }>('/ui/assets/:file', async (request, reply) => {
    const a = request.params.file === 'index.html' ? undefined : assets.get(request.params.file);
    if (!a) throw notFound(`file ${request.params.file}`);
    return send(reply, a, request.headers['if-none-match']);
  });
  // Every other path under /ui/ is a page of the app: the shell renders it from the path (history API).
  app.get('/ui/', page);
  app.get('/ui/*', page);
}
