/**
 * The Teams message of one alert state: the request body a Workflows "When a Teams webhook request is received"
 * trigger documents — `{type: "message", attachments: [{contentType: "application/vnd.microsoft.card.adaptive",
 * content: <AdaptiveCard>}]}` — with an Adaptive Card 1.4 (what Teams renders on desktop, web and mobile). Teams
 * refuses a message over 28 KB: the whole body is kept within MAX_BYTES (UTF-8 bytes, what is counted), dropping
 * metadata facts first, then shortening the description. Pure.
 */
import type { JsonValue } from '../../domain/alert.ts';
import { clip } from '../slack/message.ts';
import { shownState, type DeliveryPayload } from '../types.ts';

export const MAX_BYTES = 28 * 1024;
export const LIMITS = { title: 250, description: 3000, facts: 20, factTitle: 100, factValue: 1000 } as const;

export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

type Element = Record<string, JsonValue>;

export interface TeamsMessage {
  type: 'message';
  attachments: { contentType: typeof CARD_CONTENT_TYPE; contentUrl: null; content: Record<string, JsonValue> }[];
}

/**
 * TextBlocks and fact values render a subset of Markdown: escaped, a sender's text cannot make a hidden link or
 * restyle the card. (Teams shows `<at>` as a mention only with msteams.entities, which tocsin never sends.)
 */
export const escapeMarkdown = (s: string) => s.replace(/[\\*_[\]`~]/g, (c) => `\\${c}`);

/** Escape, then cut — a cut must never leave a lone backslash that would escape the ellipsis. */
const md = (s: string, max: number) => clip(escapeMarkdown(s), max).replace(/(^|[^\\])\\…$/, '$1…');

const COLOR: Record<string, string> = { critical: 'Attention', error: 'Attention', warning: 'Warning', info: 'Accent' };

function scalar(v: JsonValue): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.every((x) => x === null || typeof x !== 'object') ? v.join(', ') : undefined;
  return typeof v === 'object' ? undefined : String(v);
}

const bytes = (m: TeamsMessage) => Buffer.byteLength(JSON.stringify(m), 'utf8');

/** `ackUrl`: the signed acknowledge link (SendContext.ackUrl), an Action.OpenUrl while the alert is firing. */
export function buildCard(p: DeliveryPayload, ackUrl?: string): TeamsMessage {
  const facts: { title: string; value: string }[] = [];
  for (const [k, v] of Object.entries(p.metadata)) {
    if (facts.length >= LIMITS.facts) break;
    const shown = scalar(v);
    if (shown !== undefined && shown !== '') facts.push({ title: md(k, LIMITS.factTitle), value: md(shown, LIMITS.factValue) });
  }
  let description = p.description ? md(p.description, LIMITS.description) : undefined;
  let title = md(p.title, LIMITS.title);
  let message = assemble(p, title, description, facts, ackUrl);
  // Rarely needed (a huge title or metadata in many scripts): shed the least important content until it fits.
  // Bounded: the parts never shed (source, footer, button) are far below the limit, so this ends well before 64 rounds.
  for (let round = 0; bytes(message) > MAX_BYTES && round < 64; round++) {
    if (facts.length > 0) facts.pop();
    else if (description && description.length > 100) description = md(p.description!, Math.floor(description.length / 2));
    else if (description) description = undefined;
    else title = md(p.title, Math.max(20, Math.floor(title.length / 2)));
    message = assemble(p, title, description, facts, ackUrl);
  }
  return message;
}

function assemble(p: DeliveryPayload, title: string, description: string | undefined, facts: { title: string; value: string }[], ackUrl: string | undefined): TeamsMessage {
  const resolved = p.status === 'resolved';
  const acked = shownState(p) === 'acknowledged';
  const state = resolved ? 'RESOLVED' : acked ? `ACKNOWLEDGED${p.acknowledged?.by ? ` by ${md(p.acknowledged.by, 100)}` : ''}` : (p.severity ?? 'firing').toUpperCase();
  const test = p.test ? '[test] ' : '';
  const body: Element[] = [
    { type: 'TextBlock', text: `${test}${resolved ? 'Resolved: ' : ''}${title}`, size: 'Large', weight: 'Bolder', wrap: true },
    { type: 'TextBlock', text: `**${state}** · ${md(p.source, 200)}`, color: resolved ? 'Good' : acked ? 'Accent' : (COLOR[p.severity ?? ''] ?? 'Attention'), spacing: 'None', wrap: true },
  ];
  if (description) body.push({ type: 'TextBlock', text: description, wrap: true });
  if (facts.length) body.push({ type: 'FactSet', facts });
  body.push({ type: 'TextBlock', text: md(`${p.source}:${p.dedupKey} · episode ${p.episode} · ${new Date(p.at).toISOString()}`, 500), isSubtle: true, size: 'Small', wrap: true });
  const content: Record<string, JsonValue> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    // The notification preview and what screen readers announce first.
    fallbackText: clip(`${test}${resolved ? 'Resolved' : state}: ${p.title}`, 300),
    msteams: { width: 'Full' },
  };
  const actions: Element[] = [];
  if (ackUrl && !resolved && !acked && ackUrl.length <= 2000) actions.push({ type: 'Action.OpenUrl', title: 'Acknowledge', url: ackUrl });
  if (p.sourceUrl && /^https?:\/\//.test(p.sourceUrl) && p.sourceUrl.length <= 2000) actions.push({ type: 'Action.OpenUrl', title: 'Open source', url: p.sourceUrl });
  if (actions.length) content['actions'] = actions;
  return { type: 'message', attachments: [{ contentType: CARD_CONTENT_TYPE, contentUrl: null, content }] };
}
