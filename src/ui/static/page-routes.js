// @ts-check
/** Routes: the list as the gateway tries it, and "where would this alert go?". */
import { ApiError, get, post } from './api.js';
import { duration, h, note, replace, table } from './dom.js';

/** @param {any} r */
const matchText = (r) => (r.catchAll ? h('em', null, 'every alert') : r.match.map((/** @type {any} */ m) => h('code', { class: 'mono' }, `${m.label}${m.op}${JSON.stringify(m.value)}`)).flatMap((/** @type {any} */ x, /** @type {number} */ i) => (i ? [', ', x] : [x])));

/** Where a route sends at once, then each escalation step: "then after 3m unless acknowledged → oncall". @param {any} r */
const toText = (r) => [r.to.join(', '), (r.escalation ?? []).map((/** @type {any} */ s) => h('div', { class: 'muted' }, `then after ${duration(s.after_ms)} unless acknowledged → ${s.to.join(', ')}`))];

/**
 * `team=payments severity=critical` (spaces or new lines between) → {team: ["payments"], severity: ["critical"]}.
 * @param {string} text
 */
export function parseLabels(text) {
  /** @type {Record<string, string[]>} */
  const out = {};
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`"${part}" is not name=value`);
    (out[part.slice(0, eq)] ??= []).push(part.slice(eq + 1));
  }
  return out;
}

/** @type {import('./app.js').Render} */
export async function routesPage(main) {
  const [tree, { sources }] = await Promise.all([get('/routes'), get('/sources')]);
  const then = (/** @type {any} */ r) => (r.unreachable ? `never reached: route ${tree.default_route} takes every alert` : r.continue ? 'continue' : r.catchAll ? 'stop (default route)' : 'stop');
  const result = h('div', { 'aria-live': 'polite' });
  const labels = h('input', { id: 'rt-labels', name: 'labels', placeholder: 'team=payments severity=critical', size: 40, required: true, 'aria-describedby': 'rt-help' });
  const source = h('select', { id: 'rt-source', name: 'source' }, h('option', { value: '' }, 'none'), sources.map((/** @type {any} */ s) => h('option', { value: s.name }, s.name)));
  const form = h('form', { class: 'filters', 'aria-label': 'Where would this alert go?', onsubmit: async (/** @type {Event} */ e) => {
    e.preventDefault();
    try {
      const body = { labels: parseLabels(/** @type {HTMLInputElement} */ (labels).value), ...(/** @type {HTMLSelectElement} */ (source).value ? { source: /** @type {HTMLSelectElement} */ (source).value } : {}) };
      const r = await post('/routes/test', body);
      replace(result,
        r.warnings.map((/** @type {string} */ w) => note(`Warning: ${w}`)),
        r.routed
          ? note(`Goes to ${r.destinations.join(', ')} — matched route${r.matched_routes.length > 1 ? 's' : ''} ${r.matched_routes.map((/** @type {number} */ i) => `#${i}`).join(', ')}.${r.matched_routes.flatMap((/** @type {number} */ i) => tree.routes[i - 1]?.escalation ?? []).map((/** @type {any} */ s) => ` Then after ${duration(s.after_ms)} unless acknowledged → ${s.to.join(', ')}.`).join('')}`, 'okay')
          : note(`No route matches: such an alert would be stored and delivered nowhere (unrouted)${tree.default_route === null ? '; the config has no default route' : ''}.`, 'error'));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) replace(result, note(err instanceof Error ? err.message : String(err), 'error'));
    }
  } },
    h('label', { for: 'rt-labels' }, 'Labels', labels),
    h('label', { for: 'rt-source' }, 'Source', source),
    h('button', { type: 'submit', class: 'primary' }, 'Where would it go?'));
  replace(main, h('h1', null, 'Routes'),
    h('p', { class: 'muted' }, 'Tried in order; the first match wins unless it says continue. Matchers see an alert\'s labels (source, severity, metadata keys, the source type\'s labels).'),
    tree.routes.length ? table([{ key: 'index', label: '#', num: true }, { key: 'match', label: 'Match' }, { key: 'to', label: 'To' }, { key: 'then', label: 'Then' }], tree.routes,
      (r, k) => (k === 'match' ? matchText(r) : k === 'to' ? toText(r) : k === 'then' ? then(r) : r[k]), 'Routes in the order they are tried')
      : note('No routes: every alert goes to every destination.'),
    tree.routes.length && tree.default_route === null ? note('No default route: an alert that matches none of these is stored and delivered nowhere.', 'error') : null,
    h('h2', null, 'Where would this alert go?'),
    h('p', { id: 'rt-help', class: 'muted' }, 'Labels as name=value, separated by spaces; severity is one of critical, error, warning, info. Computed with the gateway\'s own routing and the config in force.'),
    form, result);
}
