/**
 * The Slack message of one alert state, in Block Kit, always within Slack's documented limits: at most 50 blocks, a
 * header's plain text at most 150 characters, a section's text at most 3000, at most 10 fields of at most 2000 each,
 * at most 10 context elements. Lengths are counted in UTF-16 units, never fewer than Slack's characters, and a cut
 * never splits a surrogate pair. Pure.
 */
import type { JsonValue } from '../../domain/alert.ts';
import { shownState, type DeliveryPayload } from '../types.ts';

export const LIMITS = { blocks: 50, header: 150, section: 3000, fields: 10, field: 2000, contextElements: 10, text: 3000 } as const;

export type TextObject = { type: 'plain_text' | 'mrkdwn'; text: string; emoji?: boolean };
export type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'actions'; elements: { type: 'button'; text: TextObject; url: string; action_id: string; style?: 'primary' }[] }
  | { type: 'divider' };

export interface SlackMessage {
  /** The notification and fallback text. */
  text: string;
  blocks: Block[];
}

/** At most `max` UTF-16 units, ending in … when cut, never half a surrogate pair. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = max - 1;
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return `${s.slice(0, cut)}…`;
}

/** Slack's mrkdwn treats &, < and > as control characters: escaped, a sender's text cannot become a link or a mention. */
export const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Escape first, then cut: escaping lengthens the text, and the cut must hold for what is sent. */
const md = (s: string, max: number): TextObject => ({ type: 'mrkdwn', text: clip(escape(s), max).replace(/&[a-z]{0,3}…$/, '…') });

const ICON: Record<string, string> = { critical: ':red_circle:', error: ':large_orange_circle:', warning: ':large_yellow_circle:', info: ':large_blue_circle:' };

function scalar(v: JsonValue): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.every((x) => x === null || typeof x !== 'object') ? v.join(', ') : undefined;
  return typeof v === 'object' ? undefined : String(v);
}

/** Slack's limit on a button's URL. */
const MAX_BUTTON_URL = 3000;

/** `ackUrl`: the signed acknowledge link (SendContext.ackUrl), shown as a button while the alert is firing. */
export function buildMessage(p: DeliveryPayload, ackUrl?: string): SlackMessage {
  const resolved = p.status === 'resolved';
  const acked = shownState(p) === 'acknowledged';
  const icon = resolved ? ':white_check_mark:' : acked ? ':eyes:' : (ICON[p.severity ?? ''] ?? ':rotating_light:');
  const state = resolved ? 'RESOLVED' : acked ? 'ACKNOWLEDGED' : (p.severity ?? 'firing').toUpperCase();
  const test = p.test ? '[test] ' : '';
  const blocks: Block[] = [{ type: 'header', text: { type: 'plain_text', text: clip(`${test}${resolved ? 'Resolved: ' : ''}${p.title}`, LIMITS.header), emoji: true } }];
  const who = acked && p.acknowledged?.by ? ` by ${p.acknowledged.by}` : '';
  blocks.push({ type: 'section', text: md(`${icon} *${state}*${who} · ${p.source}`, LIMITS.section) });
  if (p.description) blocks.push({ type: 'section', text: md(p.description, LIMITS.section) });
  const fields: TextObject[] = [];
  for (const [k, v] of Object.entries(p.metadata)) {
    if (fields.length >= LIMITS.fields) break;
    const shown = scalar(v);
    if (shown !== undefined && shown !== '') fields.push(md(`*${k}*\n${shown}`, LIMITS.field));
  }
  if (fields.length) blocks.push({ type: 'section', fields });
  const context: TextObject[] = [md(`${p.source}:${p.dedupKey} · episode ${p.episode} · ${new Date(p.at).toISOString()}`, LIMITS.field)];
  // A link is the one place mrkdwn control characters are wanted: the URL is escaped, the brackets are ours.
  if (p.sourceUrl && /^https?:\/\//.test(p.sourceUrl) && p.sourceUrl.length <= 1000) context.push({ type: 'mrkdwn', text: `<${escape(p.sourceUrl)}|source>` });
  blocks.push({ type: 'context', elements: context.slice(0, LIMITS.contextElements) });
  if (ackUrl && !resolved && !acked && ackUrl.length <= MAX_BUTTON_URL) {
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Acknowledge' }, url: ackUrl, action_id: 'tocsin_ack', style: 'primary' }] });
  }
  const fallback = resolved ? 'Resolved' : acked ? 'Acknowledged' : state;
  return { text: clip(`${test}${fallback}: ${p.title}`, LIMITS.text), blocks: blocks.slice(0, LIMITS.blocks) };
}
