// @ts-check
/** The shell: session, navigation (history API under /ui/), live updates, and which page renders a path. */
import { ApiError, login, logout, resume, whenUnauthorized } from './api.js';
import { h, note, replace } from './dom.js';
import { alertPage, alertsPage } from './page-alerts.js';
import { deliveriesPage } from './page-deliveries.js';
import { destinationsPage } from './page-destinations.js';
import { escalationsPage } from './page-escalations.js';
import { heartbeatsPage } from './page-heartbeats.js';
import { overviewPage } from './page-overview.js';
import { routesPage } from './page-routes.js';
import { silencePage, silencesPage } from './page-silences.js';
import { sourcesPage } from './page-sources.js';

/**
 * A page renders into <main> and may hand back `refresh`, called when the database changed (live updates), and
 * `stop`, called when another page replaces it (a timer of its own).
 * @typedef {{ refresh?: () => Promise<void>, stop?: () => void }} Page
 * @typedef {(main: HTMLElement, params: string[], query: URLSearchParams) => Promise<Page | void>} Render
 */

/** @type {[RegExp, string, Render, string | null][]} path, title, render, nav label */
const PAGES = [
  [/^$/, 'Overview', overviewPage, 'Overview'],
  [/^alerts$/, 'Alerts', alertsPage, 'Alerts'],
  [/^alerts\/([^/]+)$/, 'Alert', alertPage, null],
  [/^deliveries$/, 'Deliveries', deliveriesPage, 'Deliveries'],
  [/^escalations$/, 'Escalations', escalationsPage, 'Escalations'],
  [/^silences$/, 'Silences', silencesPage, 'Silences'],
  [/^silences\/([^/]+)$/, 'Silence', silencePage, null],
  [/^heartbeats$/, 'Heartbeats', heartbeatsPage, 'Heartbeats'],
  [/^destinations$/, 'Destinations', destinationsPage, 'Destinations'],
  [/^routes$/, 'Routes', routesPage, 'Routes'],
  [/^sources$/, 'Sources', sourcesPage, 'Sources'],
];

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
const live = /** @type {HTMLElement} */ (document.getElementById('live'));
/** @type {Page | void} */
let current;
let events = /** @type {EventSource | null} */ (null);

const pathOf = () => location.pathname.replace(/^\/ui\/?/, '').replace(/\/$/, '');

function renderNav() {
  const here = pathOf().split('/')[0] ?? '';
  replace(nav,
    PAGES.filter((p) => p[3]).map(([re, , , label]) => {
      const path = re.source.replace(/^\^|\$$/g, '');
      return h('a', { href: `/ui/${path}`, 'data-nav': '', 'aria-current': path === here ? 'page' : undefined }, label);
    }),
    h('span', { class: 'spacer' }),
    h('button', { type: 'button', id: 'logout', onclick: async () => {
      await logout().catch(() => undefined);
      stopLive();
      current?.stop?.();
      showLogin('You are logged out.');
    } }, 'Log out'));
  nav.hidden = false;
}

async function render() {
  const path = pathOf();
  const found = PAGES.find(([re]) => re.test(path));
  current?.stop?.();
  current = undefined;
  renderNav();
  if (!found) {
    document.title = 'Not found · tocsin';
    replace(main, h('h1', null, 'Not found'), h('p', null, 'No page here. ', h('a', { href: '/ui/', 'data-nav': '' }, 'Go to the overview')));
    return;
  }
  const [re, title, page] = found;
  document.title = `${title} · tocsin`;
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const shown = await page(main, /** @type {string[]} */ (re.exec(path)?.slice(1) ?? []), new URLSearchParams(location.search));
    // Left for another page while this one loaded: its timer (if any) must not outlive it.
    if (pathOf() !== path) return shown?.stop?.();
    current = shown;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    replace(main, h('h1', null, title), note(`Could not load this page: ${e instanceof Error ? e.message : String(e)}`, 'error'));
  }
}

/** @param {string} url */
export function go(url) {
  history.pushState(null, '', url);
  void render().then(() => main.focus());
}

document.addEventListener('click', (e) => {
  const a = e.target instanceof Element ? e.target.closest('a[data-nav]') : null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  go(/** @type {HTMLAnchorElement} */ (a).href);
});
addEventListener('popstate', () => void render());

let pending = /** @type {ReturnType<typeof setTimeout> | null} */ (null);
function startLive() {
  if (events) return;
  events = new EventSource('/api/v1/events');
  events.addEventListener('hello', () => (live.textContent = 'Live'));
  events.addEventListener('change', () => {
    // Bursts of changes refresh once.
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      // A refresh rebuilds what the page shows: keep the keyboard focus where it was.
      const focused = document.activeElement?.id;
      void current?.refresh?.().then(() => {
        if (focused && !document.activeElement?.id) document.getElementById(focused)?.focus();
      }, () => undefined);
    }, 300);
  });
  events.onerror = () => (live.textContent = 'Reconnecting…');
}
function stopLive() {
  events?.close();
  events = null;
  live.textContent = '';
}

/** @param {string} [message] */
function showLogin(message) {
  nav.hidden = true;
  document.title = 'Log in · tocsin';
  const input = h('input', { id: 'token', name: 'token', type: 'password', required: true, autocomplete: 'off', spellcheck: 'false' });
  const status = h('div', { 'aria-live': 'assertive' }, message ? note(message) : null);
  const form = h('form', { onsubmit: async (/** @type {SubmitEvent} */ e) => {
    e.preventDefault();
    const token = /** @type {HTMLInputElement} */ (input).value;
    try {
      await login(token);
      /** @type {HTMLInputElement} */ (input).value = '';
      startLive();
      await render();
      main.focus();
    } catch (err) {
      replace(status, note(err instanceof ApiError && err.status === 401 ? 'That is not the admin token.' : `Could not log in: ${err instanceof Error ? err.message : err}`, 'error'));
      /** @type {HTMLInputElement} */ (input).select();
    }
  } },
    h('label', { for: 'token' }, 'Admin token', input),
    h('p', { class: 'muted' }, 'The admin_token of the gateway\'s config. It is sent once to open a session (a cookie that expires); the browser keeps no copy.'),
    h('button', { type: 'submit', class: 'primary' }, 'Log in'));
  replace(main, h('section', { class: 'login' }, h('h1', null, 'Log in to tocsin'), status, form));
  input.focus();
}

whenUnauthorized((e) => {
  stopLive();
  // A page's own timer must not read again (and show the login again over what is being typed).
  current?.stop?.();
  current = undefined;
  showLogin(e.code === 'session_expired' ? 'Your session has expired: log in again.' : 'Please log in.');
});

const session = await resume();
if (session.open) {
  startLive();
  await render();
} else showLogin(session.code === 'session_expired' ? 'Your session has expired: log in again.' : undefined);
