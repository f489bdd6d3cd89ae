/**
 * The Telegram message of one alert state: text with `parse_mode: HTML`, always within Telegram's 4096 characters.
 * Telegram counts the text after parsing its entities (tags removed, `&lt;` one character); tocsin bounds the HTML it
 * sends, which is never shorter, so the bound holds for what Telegram counts. Lengths are UTF-16 units (never fewer
 * than characters) and a cut never splits a surrogate pair or an entity. Pure.
 */
import type { JsonValue } from '../../domain/alert.ts';
import { shownState, type DeliveryPayload } from '../types.ts';

export const MAX_TEXT = 4096;
export const LIMITS = { title: 512, source: 100, description: 2000, lines: 20, key: 64, value: 300, footer: 400, url: 1000 } as const;

/** Telegram's HTML: <, > and & that are not markup must be entities; `"` too inside an attribute. */
export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** `s` escaped, at most `max` UTF-16 units, ending in … when cut. Cut by code point, so no entity or pair is split. */
export function fit(s: string, max: number): string {
  const full = escapeHtml(s);
  if (full.length <= max) return full;
  let out = '';
  for (const ch of s) {
    const e = escapeHtml(ch);
    if (out.length + e.length > max - 1) break;
    out += e;
  }
  return `${out}…`;
}

const ICON: Record<string, string> = { critical: '🔴', error: '🟠', warning: '🟡', info: '🔵' };

function scalar(v: JsonValue): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.every((x) => x === null || typeof x !== 'object') ? v.join(', ') : undefined;
  return typeof v === 'object' ? undefined : String(v);
}

/** `ackUrl`: the signed acknowledge link (SendContext.ackUrl), shown while the alert is firing. */
export function buildText(p: DeliveryPayload, ackUrl?: string): string {
  const resolved = p.status === 'resolved';
  const acked = shownState(p) === 'acknowledged';
  const state = resolved ? 'RESOLVED' : acked ? 'ACKNOWLEDGED' : (p.severity ?? 'firing').toUpperCase();
  const icon = resolved ? '✅' : acked ? '👀' : (ICON[p.severity ?? ''] ?? '🚨');
  const test = p.test ? '[test] ' : '';
  const who = acked && p.acknowledged?.by ? ` by ${fit(p.acknowledged.by, LIMITS.source)}` : '';
  const head = [`${icon} <b>${state}</b>${who} · ${fit(p.source, LIMITS.source)}`, `<b>${fit(`${test}${resolved ? 'Resolved: ' : ''}${p.title}`, LIMITS.title)}</b>`].join('\n');
  const lines: string[] = [];
  for (const [k, v] of Object.entries(p.metadata)) {
    if (lines.length >= LIMITS.lines) break;
    const shown = scalar(v);
    if (shown !== undefined && shown !== '') lines.push(`<b>${fit(k, LIMITS.key)}</b>: ${fit(shown, LIMITS.value)}`);
  }
  const foot = [`<i>${fit(`${p.source}:${p.dedupKey} · episode ${p.episode} · ${new Date(p.at).toISOString()}`, LIMITS.footer)}</i>`];
  const href = p.sourceUrl && /^https?:\/\//.test(p.sourceUrl) ? escapeHtml(p.sourceUrl) : '';
  if (href && href.length <= LIMITS.url) foot.push(`<a href="${href}">source</a>`);
  const ack = ackUrl && !resolved && !acked ? escapeHtml(ackUrl) : '';
  if (ack && ack.length <= LIMITS.url) foot.push(`<a href="${ack}">Acknowledge</a>`);
  const tail = foot.join('\n');
  // Paragraphs are joined by a blank line (2 units each); the description gets what the rest leaves, metadata lines
  // giving way first if that would be too little.
  const size = (meta: string[]) => head.length + tail.length + (meta.length ? meta.join('\n').length + 2 : 0) + 2;
  while (lines.length && MAX_TEXT - size(lines) < (p.description ? 202 : 0)) lines.pop();
  const room = Math.min(LIMITS.description, MAX_TEXT - size(lines) - 2);
  const description = p.description && room > 1 ? fit(p.description, room) : undefined;
  const text = [head, description, lines.length ? lines.join('\n') : undefined, tail].filter((x): x is string => x !== undefined).join('\n\n');
  return text;
}
