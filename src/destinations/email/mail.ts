/**
 * The email of one alert state (pure): subject, text and HTML, and the threading headers that put every state of an
 * episode in one thread. The episode's first email carries the episode's Message-ID; each later one is a reply to it
 * (In-Reply-To and References) with the same subject after `Re: ` — mail clients thread on both.
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../../domain/alert.ts';
import { shownState, type DeliveryPayload } from '../types.ts';

export interface Thread {
  /** The Message-ID of the episode's first email. */
  root: string;
  /** Its subject, kept so a retitled alert still threads. */
  subject: string;
}

export interface Mail {
  messageId: string;
  subject: string;
  inReplyTo?: string;
  references?: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/** The domain of the `from` address: Message-IDs are `<…@domain>` (RFC 5322 wants them unique to the sender). */
export function domainOf(from: string): string {
  const m = /@([^\s@<>]+)\s*>?\s*$/.exec(from);
  return m ? m[1]!.toLowerCase() : 'tocsin.invalid';
}

/** The same for every attempt at an episode: a retried first email is recognisably the same message. */
export const episodeMessageId = (p: DeliveryPayload, domain: string) => `<tocsin.${p.alertId}.${p.episode}@${domain}>`;

const stateMessageId = (p: DeliveryPayload, domain: string) =>
  `<tocsin.${p.alertId}.${p.episode}.${createHash('sha256').update(`${p.status}\n${p.at}`).digest('hex').slice(0, 16)}@${domain}>`;

const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Headers cannot hold line breaks (a sender's title must not add headers) and should stay short. */
const oneLine = (s: string, max: number) => {
  const flat = s.replace(/[\r\n\t]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

function show(v: JsonValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const MAX_DESCRIPTION = 20_000;

/** The subject of an episode's first email. */
export const rootSubject = (p: DeliveryPayload, prefix: string) => oneLine(`${prefix}${p.test ? '[test] ' : ''}${p.title}`, 200);

/** `ackUrl`: the signed acknowledge link (SendContext.ackUrl), in both parts while the alert is firing. */
export function buildMail(p: DeliveryPayload, domain: string, prefix: string, thread: Thread | undefined, ackUrl?: string): Mail {
  const resolved = p.status === 'resolved';
  const shown = shownState(p);
  const acked = shown === 'acknowledged';
  const state = resolved ? 'RESOLVED' : acked ? `ACKNOWLEDGED${p.acknowledged?.by ? ` by ${oneLine(p.acknowledged.by, 100)}` : ''}` : (p.severity ?? 'firing').toUpperCase();
  const ack = ackUrl && shown === 'firing' && /^https?:\/\//.test(ackUrl) ? ackUrl : undefined;
  const subject = thread ? `Re: ${thread.subject}` : rootSubject(p, prefix);
  const description = p.description && p.description.length > MAX_DESCRIPTION ? `${p.description.slice(0, MAX_DESCRIPTION)}…` : p.description;
  const rows: [string, string][] = [
    ['Status', state],
    ['Source', p.source],
    ['Key', `${p.source}:${p.dedupKey}`],
    ['Episode', String(p.episode)],
    ['At', new Date(p.at).toISOString()],
    ...Object.entries(p.metadata)
      .slice(0, 50)
      .map(([k, v]): [string, string] => [k, oneLine(show(v), 500)]),
  ];
  if (p.sourceUrl) rows.push(['Source URL', p.sourceUrl]);
  const ackText = ack ? ['Acknowledge (stops the escalation; opens a page with a button):', ack, ''] : [];
  const text = [`${state}: ${p.title}`, '', ...(description ? [description, ''] : []), ...rows.map(([k, v]) => `${k}: ${v}`), '', ...ackText, '— tocsin'].join('\n');
  const link = p.sourceUrl && /^https?:\/\//.test(p.sourceUrl) ? `<p><a href="${html(p.sourceUrl)}">Open the source</a></p>` : '';
  const colour = resolved ? '#2e7d32' : p.severity === 'critical' ? '#c62828' : p.severity === 'error' ? '#ef6c00' : p.severity === 'warning' ? '#f9a825' : '#1565c0';
  const body = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p style="color:${colour};font-weight:bold">${html(state)}</p>`,
    `<h2>${html(p.title)}</h2>`,
    description ? `<pre style="white-space:pre-wrap">${html(description)}</pre>` : '',
    '<table cellpadding="4">',
    ...rows.map(([k, v]) => `<tr><th align="left">${html(k)}</th><td>${html(v)}</td></tr>`),
    '</table>',
    link,
    ack ? `<p><a href="${html(ack)}" style="font-weight:bold">Acknowledge</a> <span style="color:#777">(stops the escalation)</span></p>` : '',
    '<p style="color:#777">— tocsin</p></body></html>',
  ].join('\n');
  const headers = { 'X-Tocsin-Alert': p.alertId, 'X-Tocsin-Status': shown, 'X-Tocsin-Episode': String(p.episode) };
  if (!thread) return { messageId: episodeMessageId(p, domain), subject, text, html: body, headers };
  return { messageId: stateMessageId(p, domain), subject, inReplyTo: thread.root, references: thread.root, text, html: body, headers };
}
