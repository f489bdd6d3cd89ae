// @ts-check
/** Deliveries: dead letters first, retry one or all, each with its hint in plain words. */
import { ApiError, get, post, qs, shownFailure } from './api.js';
import { badge, h, link, note, replace, table, when } from './dom.js';

/** alert id → title */
const titles = new Map();

const STATUSES = ['dead', 'pending', 'in_flight', 'delivered', 'orphaned', 'skipped', 'superseded', 'muted', 'suppressed'];

/** @param {any} d */
function outcome(d) {
  return h('div', null,
    d.last_status_code ? `HTTP ${d.last_status_code}` : null,
    d.latency_ms != null ? ` · ${d.latency_ms} ms` : null,
    d.request_id ? [' · request_id ', h('code', null, d.request_id)] : null,
    d.last_error ? h('div', null, d.last_error) : null,
    // Advice only where something must be done: on other rows the column says what happened (e.g. the incident created).
    d.hint && (d.status === 'dead' || d.status === 'orphaned') ? h('div', { class: 'note error' }, h('strong', null, 'What to do: '), d.hint) : d.hint ? h('div', { class: 'muted' }, d.hint) : null,
    d.response_excerpt ? h('details', null, h('summary', null, 'Response'), h('pre', null, d.response_excerpt)) : null);
}

/**
 * A table of deliveries with a Retry button on those that can be sent again.
 * @param {any[]} rows @param {() => Promise<void>} reload @param {HTMLElement} status @param {boolean} withAlert
 */
export function deliveryRows(rows, reload, status, withAlert) {
  const retry = (/** @type {any} */ d) => async () => {
    try {
      await post(`/deliveries/${d.id}/retry`);
      replace(status, note(`Delivery ${d.id} is queued again with the alert's latest state.`, 'okay'));
      await reload();
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) replace(status, note(`Retry of delivery ${d.id} failed: ${e instanceof Error ? e.message : e}`, 'error'));
    }
  };
  const cols = [
    { key: 'id', label: '#', num: true }, ...(withAlert ? [{ key: 'alert', label: 'Alert' }] : []), { key: 'destination', label: 'Destination' }, { key: 'status', label: 'Status' },
    { key: 'sends', label: 'Sends' }, { key: 'attempts', label: 'Attempts', num: true }, { key: 'outcome', label: 'Last outcome' }, { key: 'updated_at', label: 'Changed' }, { key: 'act', label: 'Action' },
  ];
  return table(cols, rows, (d, k) => {
    if (k === 'alert' && d.reports_on) {
      // An outcome event sent to a webhook: it names the delivery it reports on, whose alert has a page.
      const on = d.reports_on;
      return [`${on.event} of #${on.delivery_id}: `, link(`/ui/alerts/${encodeURIComponent(on.alert_id)}`, d.alert_title ?? on.alert_id)];
    }
    if (k === 'alert') return link(`/ui/alerts/${encodeURIComponent(d.alert_id)}`, d.alert_title ?? d.alert_id);
    if (k === 'status') return [badge(d.status), d.status === 'pending' && d.next_attempt_at ? h('div', { class: 'muted' }, 'next ', when(d.next_attempt_at)) : null];
    if (k === 'outcome') return outcome(d);
    if (k === 'updated_at') return when(d.updated_at);
    if (k === 'act') return d.status === 'dead' || d.status === 'orphaned' ? h('button', { type: 'button', id: `retry-${d.id}`, onclick: retry(d), 'aria-label': `Retry delivery ${d.id}` }, 'Retry') : null;
    return d[k];
  }, 'Deliveries');
}

/** @type {import('./app.js').Render} */
export async function deliveriesPage(main, _params, query) {
  const destinations = (await get('/destinations')).destinations.map((/** @type {{name: string}} */ d) => d.name);
  const f = { status: query.get('status') ?? '', destination: query.get('destination') ?? '' };
  const status = h('div', { 'aria-live': 'polite' });
  const results = h('div');
  const opt = (/** @type {string[]} */ list, /** @type {string} */ v) => [h('option', { value: '' }, 'any'), list.map((o) => h('option', { value: o, selected: o === v }, o))];
  const form = h('form', { class: 'filters', 'aria-label': 'Filter deliveries', onsubmit: (/** @type {Event} */ e) => {
    e.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (e.target));
    f.status = String(data.get('status') ?? '');
    f.destination = String(data.get('destination') ?? '');
    history.replaceState(null, '', `/ui/deliveries${qs(f)}`);
    load().catch(shownFailure((message) => replace(results, note(`Could not read the deliveries: ${message}`, 'error'))));
  } },
    h('label', { for: 'd-status' }, 'Status', h('select', { id: 'd-status', name: 'status' }, opt(STATUSES, f.status))),
    h('label', { for: 'd-destination' }, 'Destination', h('select', { id: 'd-destination', name: 'destination' }, opt(destinations, f.destination))),
    h('button', { type: 'submit', class: 'primary' }, 'Filter'));

  const retryAll = async () => {
    try {
      const r = await post('/deliveries/retry', { status: 'dead', ...(f.destination ? { destination: f.destination } : {}) });
      const parts = [`${r.retried.length} queued again`];
      if (r.folded.length) parts.push(`${r.folded.length} folded into a retry of the same alert`);
      if (r.refused.length) parts.push(`${r.refused.length} refused (${r.refused.map((/** @type {any} */ x) => `#${x.id}: ${x.message}`).join('; ')})`);
      replace(status, note(`Retry all: ${parts.join(', ')}.`, r.refused.length ? 'error' : 'okay'));
      await load();
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) replace(status, note(`Retry all failed: ${e instanceof Error ? e.message : e}`, 'error'));
    }
  };

  replace(main, h('h1', null, 'Deliveries'), form, status, results);

  /** @param {string} path */
  const withTitles = async (path) => {
    const rows = (await get(path)).deliveries;
    // The list API gives alert ids; a page of titles is one alert read per distinct alert shown.
    // Titles are kept between refreshes (an alert's title rarely changes): live updates cost no extra reads.
    const alertOf = (/** @type {any} */ d) => String(d.reports_on?.alert_id ?? d.alert_id);
    const ids = [...new Set(rows.map(alertOf))].filter((id) => !titles.has(id)).slice(0, 50);
    await Promise.all(ids.map(async (id) => titles.set(id, (await get(`/alerts/${encodeURIComponent(id)}`).catch(() => null))?.alert?.title)));
    return rows.map((/** @type {any} */ d) => ({ ...d, alert_title: titles.get(alertOf(d)) }));
  };

  async function load() {
    const showDeadFirst = !f.status;
    const dead = showDeadFirst || f.status === 'dead' ? await withTitles(`/deliveries${qs({ status: 'dead', destination: f.destination, limit: '100' })}`) : [];
    const others = f.status === 'dead' ? [] : (await withTitles(`/deliveries${qs({ ...f, limit: '100' })}`)).filter((/** @type {any} */ d) => !showDeadFirst || d.status !== 'dead');
    replace(results,
      showDeadFirst || f.status === 'dead' ? [
        h('h2', null, `Dead letters (${dead.length}${dead.length === 100 ? '+' : ''})`),
        dead.length ? [
          h('p', null, 'incident.io refused these for good (or they failed past max_retry_age). Fix what the hint says — a token, an ID, a field — then retry: each is sent again with its alert\'s latest state.'),
          h('div', { class: 'actions' }, h('button', { type: 'button', id: 'retry-all', class: 'primary', onclick: retryAll }, f.destination ? `Retry all dead for ${f.destination}` : 'Retry all dead')),
          deliveryRows(dead, load, status, true),
        ] : note('No dead letters.'),
      ] : null,
      f.status === 'dead' ? null : [h('h2', null, showDeadFirst ? 'Recent deliveries' : `Deliveries: ${f.status}`), others.length ? deliveryRows(others, load, status, true) : note('None.')]);
  }
  await load();
  return { refresh: load };
}
