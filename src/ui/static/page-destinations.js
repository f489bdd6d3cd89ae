// @ts-check
/** Destinations: each one's settings (secrets masked by the API) and a Test connection button. */
import { ApiError, get, post } from './api.js';
import { badge, h, note, replace } from './dom.js';

/** @param {unknown} v @returns {any} */
function value(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return h('code', null, JSON.stringify(v));
  return h('code', null, String(v));
}

/** @param {any} r */
function testResult(r) {
  return h('div', { class: `note ${r.ok ? 'okay' : 'error'}` },
    h('p', null, r.ok ? badge('ok') : badge('failed'), ' ', r.summary),
    h('ul', null, r.steps.map((/** @type {any} */ st) => h('li', null,
      h('strong', null, `${st.status}: `), badge(st.outcome), ' ', st.status_code ? `HTTP ${st.status_code}` : 'no response',
      st.request_id ? [' · request_id ', h('code', null, st.request_id)] : null,
      st.error ? h('div', null, st.error) : null,
      st.hint ? h('div', null, h('strong', null, 'What to do: '), st.hint) : null))));
}

/** @type {import('./app.js').Render} */
export async function destinationsPage(main) {
  const { destinations } = await get('/destinations');
  replace(main, h('h1', null, 'Destinations'),
    h('p', { class: 'muted' }, 'As configured; secrets are never sent to the browser. Test connection sends one resolved event with the key tocsin-connection-test-<name> (an incidents destination: a test incident, closed at once), so nobody is paged.'),
    destinations.length ? destinations.map((/** @type {any} */ d) => {
      const out = h('div', { 'aria-live': 'polite', id: `test-result-${d.name}` });
      const btn = h('button', { type: 'button', class: 'primary', id: `test-${d.name}`, 'aria-describedby': `test-result-${d.name}` }, 'Test connection');
      btn.addEventListener('click', async () => {
        /** @type {HTMLButtonElement} */ (btn).disabled = true;
        replace(out, h('p', { class: 'muted' }, 'Testing…'));
        try {
          replace(out, testResult(await post(`/destinations/${encodeURIComponent(d.name)}/test`, {})));
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 401)) replace(out, note(`The test could not run: ${e instanceof Error ? e.message : e}`, 'error'));
        } finally {
          /** @type {HTMLButtonElement} */ (btn).disabled = false;
        }
      });
      return h('section', { class: 'card', 'aria-labelledby': `dest-${d.name}` },
        h('h2', { id: `dest-${d.name}` }, d.name, ' ', h('span', { class: 'muted' }, `(${d.type})`)),
        h('dl', { class: 'kv' }, Object.entries(d.config).filter(([k]) => k !== 'type').map(([k, v]) => [h('dt', null, k), h('dd', null, value(v))]),
          d.storm ? [h('dt', null, 'storm'), h('dd', null, d.storm.enabled ? `after ${d.storm.after_ms / 1000} s of backlog; summary updated at most every ${d.storm.update_interval_ms / 1000} s; grouped by ${d.storm.group_by.join(', ')}` : 'off')] : null),
        h('div', { class: 'actions' }, btn), out);
    }) : note('No destination is configured.'));
}
