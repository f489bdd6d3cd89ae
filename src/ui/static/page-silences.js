// @ts-check
/**
 * Silences (docs/silences.md): the active, pending and expired ones with what each matches now, a form to create one
 * (page-silence-form.js), Expire; and one silence's page (linked from a silenced alert).
 */
import { ApiError, del, get, post, shownFailure } from './api.js';
import { badge, h, kv, link, note, replace, table, when } from './dom.js';
import { matchedAlerts, silenceForm } from './page-silence-form.js';

/** A silence's state changes with the clock (pending → active → expired), which no change mark records. */
const REREAD_MS = 10_000;
const EXPIRED_SHOWN = 20;

/** @param {any} s */
const matcherCodes = (s) => s.matchers.map((/** @type {any} */ m, /** @type {number} */ i) => [i ? ' ' : '', h('code', { class: 'matcher' }, m.text)]);

/**
 * Expire a silence now; the alerts it held that still fire are delivered.
 * @param {any} s @param {HTMLElement} status @param {() => Promise<void>} reload
 */
const expire = (s, status, reload) => async () => {
  try {
    await del(`/silences/${encodeURIComponent(s.id)}`);
    replace(status, note(`Silence ${s.id} is expired: the alerts it held that still fire are delivered now.`, 'okay'));
    await reload();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) replace(status, note(`Expiring silence ${s.id} failed: ${e instanceof Error ? e.message : e}`, 'error'));
  }
};

/** @param {any} s */
function matchesNow(s) {
  if (s.matching_alerts == null) return h('span', { class: 'muted' }, '—');
  return s.state === 'active' ? `${s.matching_alerts}` : h('span', { title: 'would match once it starts' }, `${s.matching_alerts}`);
}

/**
 * @param {any[]} rows @param {HTMLElement} status @param {() => Promise<void>} reload @param {string} caption
 */
function silenceTable(rows, status, reload, caption) {
  return table(
    [{ key: 'matchers', label: 'Matchers' }, { key: 'state', label: 'State' }, { key: 'matching_alerts', label: 'Matches now', num: true }, { key: 'starts_at', label: 'Starts' }, { key: 'ends_at', label: 'Ends' }, { key: 'created_by', label: 'Created by' }, { key: 'comment', label: 'Comment' }, { key: 'act', label: 'Action' }],
    rows,
    (s, k) => {
      if (k === 'matchers') return [matcherCodes(s), h('div', null, link(`/ui/silences/${encodeURIComponent(s.id)}`, h('span', { class: 'sr-only' }, 'Silence '), s.id))];
      if (k === 'state') return badge(s.state);
      if (k === 'matching_alerts') return matchesNow(s);
      if (k === 'starts_at') return when(s.starts_at);
      if (k === 'ends_at') return when(s.ends_at);
      if (k === 'act') return s.state === 'expired' ? null : h('button', { type: 'button', class: 'danger', id: `expire-${s.id}`, 'aria-label': `Expire silence ${s.matchers.map((/** @type {any} */ m) => m.text).join(' ')}`, onclick: expire(s, status, reload) }, 'Expire');
      return s[k];
    },
    caption);
}

/** @type {import('./app.js').Render} */
export async function silencesPage(main) {
  const status = h('div', { 'aria-live': 'polite' });
  const lists = h('div');
  const failed = shownFailure((message) => replace(lists, note(`Could not read the silences: ${message}`, 'error')));
  let last = '';
  let shownAt = 0;
  /** @param {boolean} [timed] the timer's re-read: the same answer is not drawn again for a minute (keeps the focus) */
  async function load(timed = false) {
    const [active, pending, expired] = await Promise.all(['active', 'pending', `expired&limit=${EXPIRED_SHOWN}`].map(async (q) => (await get(`/silences?state=${q}`)).silences));
    const text = JSON.stringify([active, pending, expired]);
    if (timed && text === last && Date.now() - shownAt < 60_000) return;
    last = text;
    shownAt = Date.now();
    const reload = () => load();
    replace(lists,
      h('h2', null, `Active (${active.length})`),
      active.length ? silenceTable(active, status, reload, 'Active silences') : note('No active silence: every alert is delivered as its routes say.'),
      h('h2', null, `Pending (${pending.length})`),
      pending.length ? silenceTable(pending, status, reload, 'Pending silences (starting later)') : note('None starting later.'),
      h('h2', null, 'Expired'),
      expired.length ? [silenceTable(expired, status, reload, 'Expired silences, most recent first'), h('p', { class: 'muted' }, `The last ${EXPIRED_SHOWN} at most.`)] : note('None.'));
  }
  const form = silenceForm(async () => load().catch(failed));
  replace(main, h('h1', null, 'Silences'),
    h('p', { class: 'muted' }, 'A silence holds the deliveries of the alerts its matchers match, from its start to its end: the alerts are recorded and shown, not sent. When it ends or is expired, those still firing are delivered.'),
    h('section', { class: 'card', 'aria-labelledby': 'new-silence' }, h('h2', { id: 'new-silence' }, 'New silence'), form),
    status, lists);
  await load();
  const timer = setInterval(() => void load(true).catch(() => undefined), REREAD_MS);
  return { refresh: () => load(), stop: () => clearInterval(timer) };
}

/** @type {import('./app.js').Render} */
export async function silencePage(main, [id]) {
  const status = h('div', { 'aria-live': 'polite' });
  const body = h('div');
  replace(main, h('p', null, link('/ui/silences', '← Silences')), status, body);
  async function load() {
    const { silence: s } = await get(`/silences/${encodeURIComponent(id ?? '')}`);
    const texts = s.matchers.map((/** @type {any} */ m) => m.text);
    const matched = s.state === 'expired' ? null : await post('/silences/preview', { matchers: texts });
    document.title = `Silence ${texts.join(' ')} · tocsin`;
    replace(body,
      h('h1', null, 'Silence ', texts.join(' ')),
      h('div', { class: 'actions' }, badge(s.state),
        s.state === 'expired' ? null : h('button', { type: 'button', id: 'expire', class: 'danger', onclick: expire(s, status, load) }, 'Expire')),
      kv({
        ID: h('code', null, s.id), Matchers: matcherCodes(s), Starts: [when(s.starts_at), ` (${new Date(s.starts_at).toLocaleString()})`],
        Ends: [when(s.ends_at), ` (${new Date(s.ends_at).toLocaleString()})`], Expired: s.expired_at ? when(s.expired_at) : undefined,
        'Created by': s.created_by, Comment: s.comment, Created: when(s.created_at),
      }),
      h('h2', null, 'Alerts it matches now'),
      matched ? matchedAlerts(matched, s.state === 'active' ? 'match it; what they send while it lasts is held' : 'would be held once it starts') : note('Expired: it holds nothing any more.'));
  }
  try {
    await load();
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) replace(body, h('h1', null, 'Silence not found'), note(e.message, 'error'));
    else throw e;
  }
  return { refresh: load };
}
