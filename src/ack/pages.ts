/**
 * The small HTML pages behind an ack link (pure). No script at all, no outside resource: the CSP below forbids both,
 * and every value from an alert is escaped. GET shows a confirmation with a POST form; only the POST acknowledges
 * (link unfurlers and mail scanners fetch links, and must never acknowledge anything).
 */

export const ACK_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  // Inline styles only; the form may post only back here; never framed (a framed button could be clicked for you).
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  // The link is a credential: no Referer carries it anywhere, no cache keeps the page.
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-robots-tag': 'noindex, nofollow',
};

export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

export interface AlertSummary {
  title: string;
  source: string;
  state: string;
  episode: number;
  severity: string | null;
  /** When the alert (this episode) fired, epoch ms. */
  createdAt: number;
  acknowledgedAt: number | null;
}

export interface Page {
  status: number;
  html: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function layout(heading: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex, nofollow">',
    `<title>${escapeHtml(heading)} · tocsin</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}',
    'h1{font-size:1.3rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{color:#666}dd{margin:0;overflow-wrap:anywhere}',
    'button{font-size:1.1rem;padding:.6rem 1.4rem;margin-top:1rem;cursor:pointer}input{font-size:1rem;padding:.3rem;width:16rem}',
    '.note{color:#555}</style></head><body>',
    `<h1>${escapeHtml(heading)}</h1>`,
    body,
    '</body></html>',
  ].join('\n');
}

function details(a: AlertSummary): string {
  const rows: [string, string][] = [
    ['Alert', a.title],
    ['State', a.state],
    ['Source', a.source],
    ...(a.severity ? ([['Severity', a.severity]] as [string, string][]) : []),
    ['Fired', iso(a.createdAt)],
    ['Episode', String(a.episode)],
  ];
  if (a.acknowledgedAt !== null) rows.push(['Acknowledged', iso(a.acknowledgedAt)]);
  return `<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

/** GET: what the link would acknowledge, and the button that does it. Changes nothing. */
export function confirmPage(a: AlertSummary): Page {
  if (a.state === 'resolved') return { status: 200, html: layout('Already resolved', `${details(a)}\n<p class="note">This alert is already resolved: there is nothing to acknowledge.</p>`) };
  if (a.state === 'acknowledged') return { status: 200, html: layout('Already acknowledged', `${details(a)}\n<p class="note">Somebody is on it: its escalation is stopped.</p>`) };
  const form = [
    '<form method="post">',
    '<label>Your name (optional) <input name="by" maxlength="100" autocomplete="name"></label><br>',
    '<button type="submit">Acknowledge</button>',
    '</form>',
    '<p class="note">Acknowledging stops the alert\'s escalation and updates its chat messages. It does not resolve it.</p>',
  ].join('\n');
  return { status: 200, html: layout('Acknowledge this alert?', `${details(a)}\n${form}`) };
}

/** POST: what happened. */
export function donePage(a: AlertSummary, changed: boolean, by: string): Page {
  const note = changed ? `Acknowledged by ${escapeHtml(by)}: the escalation is stopped.` : 'It was already acknowledged: nothing changed.';
  return { status: 200, html: layout(changed ? 'Acknowledged' : 'Already acknowledged', `${details(a)}\n<p class="note">${note}</p>`) };
}

export function resolvedPage(a: AlertSummary): Page {
  return { status: 409, html: layout('Already resolved', `${details(a)}\n<p class="note">This alert is already resolved: nothing was acknowledged.</p>`) };
}

export type LinkProblem = 'invalid' | 'expired' | 'other_episode' | 'not_found' | 'not_configured';

/** A link that does not work: a clear page, nothing changed. */
export function problemPage(problem: LinkProblem, a?: AlertSummary): Page {
  const shown = a ? `${details(a)}\n` : '';
  switch (problem) {
    case 'invalid':
      return { status: 403, html: layout('This link is not valid', '<p>The link was changed or cut short, or it was signed with another secret. Open it again from the notification, or acknowledge the alert in tocsin.</p>') };
    case 'expired':
      return { status: 410, html: layout('This link has expired', `${shown}<p>Acknowledge links work for a limited time (ack.link_ttl). Acknowledge the alert in tocsin instead (tocsin ack &lt;alert-id&gt;).</p>`) };
    case 'other_episode':
      return { status: 410, html: layout('This link is for an earlier episode', `${shown}<p>The alert resolved and fired again since this link was sent: a link acknowledges only the episode it was sent for. Use the link in the latest notification.</p>`) };
    case 'not_found':
      return { status: 404, html: layout('Alert not found', '<p>The alert this link was for is no longer stored.</p>') };
    case 'not_configured':
      return { status: 404, html: layout('Acknowledge links are off', '<p>This tocsin has no <code>ack</code> settings (ack.secret, ack.public_url), so it neither makes nor accepts acknowledge links. See docs/acknowledge.md.</p>') };
  }
}
