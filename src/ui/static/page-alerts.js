// @ts-check
/** Alerts: the filtered list, and one alert's page (timeline, deliveries and attempts, labels, metadata, actions). */
import { ApiError, get, myName, post, qs, shownFailure } from './api.js';
import { badge, h, kv, link, note, outLink, replace, table, when } from './dom.js';
import { deliveryRows } from './page-deliveries.js';
import { escalatedText, escalationSteps } from './page-escalations.js';

const STATES = ['firing', 'acknowledged', 'resolved'];
const SEVERITIES = ['critical', 'error', 'warning', 'info', 'none'];

/** @param {string} name @param {string} label @param {string[]} options @param {string} value */
function select(name, label, options, value) {
  return h('label', { for: `f-${name}` }, label,
    h('select', { id: `f-${name}`, name }, h('option', { value: '' }, 'any'), options.map((o) => h('option', { value: o, selected: o === value }, o))));
}

/** @param {string} name @param {string} label @param {string} value @param {string} placeholder */
const field = (name, label, value, placeholder) => h('label', { for: `f-${name}` }, label, h('input', { id: `f-${name}`, name, value, placeholder, type: 'search' }));

/** @type {import('./app.js').Render} */
export async function alertsPage(main, _params, query) {
  const sources = (await get('/sources')).sources.map((/** @type {{name: string}} */ s) => s.name);
  const f = Object.fromEntries(['status', 'source', 'severity', 'label', 'q'].map((k) => [k, query.get(k) ?? '']));
  const results = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter alerts', onsubmit: (/** @type {Event} */ e) => {
    e.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (e.target));
    const next = qs(Object.fromEntries([...data.entries()].map(([k, v]) => [k, String(v).trim()])));
    history.replaceState(null, '', `/ui/alerts${next}`);
    for (const k of Object.keys(f)) f[k] = String(data.get(k) ?? '').trim();
    load().catch(failed);
  } },
    select('status', 'State', STATES, f.status), select('source', 'Source', sources, f.source), select('severity', 'Severity', SEVERITIES, f.severity),
    field('label', 'Label', f.label, 'team=payments'), field('q', 'Text', f.q, 'in title or key'),
    h('button', { type: 'submit', class: 'primary' }, 'Filter'));
  replace(main, h('h1', null, 'Alerts'), form, results);

  let shown = 100;
  const failed = shownFailure((message) => replace(results, note(`Could not read the alerts: ${message}`, 'error')));
  async function load() {
    const page = await get(`/alerts${qs({ ...f, limit: String(shown) })}`);
    const more = page.next_cursor ? h('button', { type: 'button', onclick: () => { shown += 100; load().catch(failed); } }, 'Show more') : null;
    replace(results,
      page.alerts.length === 0 ? note('No alert matches these filters.') : table(
        [{ key: 'title', label: 'Alert' }, { key: 'state', label: 'State' }, { key: 'severity', label: 'Severity' }, { key: 'source', label: 'Source' }, { key: 'routed_to', label: 'Destinations' }, { key: 'event_count', label: 'Events', num: true }, { key: 'updated_at', label: 'Changed' }],
        page.alerts,
        (a, k) => k === 'title' ? link(`/ui/alerts/${encodeURIComponent(a.id)}`, a.title) : k === 'state' ? badge(a.state) : k === 'severity' ? badge(a.severity) : k === 'routed_to' ? (a.unrouted ? h('em', null, 'unrouted') : a.routed_to.join(', ')) : k === 'updated_at' ? when(a.updated_at) : a[k],
        'Alerts, most recently changed first'),
      h('p', { class: 'muted' }, `${page.alerts.length} shown`, page.next_cursor ? ' (more match)' : ''), more);
  }
  await load();
  return { refresh: load };
}

/** @param {any} t @param {any[]} steps */
function transitionText(t, steps) {
  if (t.kind === 'escalated') return escalatedText(t, steps);
  const what = t.kind === 'created' ? 'fired' : t.kind === 'refired' ? 'fired again (new episode)' : t.kind;
  const rearmed = t.kind === 'unacknowledged' && t.content?.steps_rearmed ? ` · ${t.content.steps_rearmed} escalation step(s) pending again` : '';
  return [h('strong', null, what), ` by ${t.actor}`, t.from ? ` (${t.from} → ${t.to})` : ` (${t.to})`, ` · episode ${t.episode}`, rearmed];
}

/** @param {any} d @param {any} a */
function attemptText(d, a) {
  return [
    h('strong', null, `${d.destination}: `), badge(a.outcome), ' ',
    a.status_code ? `HTTP ${a.status_code}` : 'no response', ` in ${a.latency_ms} ms`,
    a.request_id ? [' · request_id ', h('code', null, a.request_id)] : null,
    a.error ? h('div', { class: 'muted' }, a.error) : null,
  ];
}

/**
 * What holds the alert's deliveries back now (docs/silences.md): a silence, the alert inhibiting it, a time interval.
 * @param {any} m
 */
function mutedText(m) {
  const where = m.destinations?.length ? ` (${m.destinations.join(', ')})` : '';
  if (m.by === 'inhibition') return ['inhibited by alert ', link(`/ui/alerts/${encodeURIComponent(m.inhibited_by)}`, m.inhibited_by), where];
  if (m.by === 'silence') return ['silenced by ', link(`/ui/silences/${encodeURIComponent(m.silence_id)}`, 'silence ', h('code', null, m.silence_id)), where];
  return [m.kind === 'active_time_intervals' ? `outside the time interval ${m.interval}` : `in the time interval ${m.interval}`, where];
}

/**
 * Who acknowledged the alert's current episode: the actor of its last `acknowledged` transition (a name, or `api` /
 * `link` when none was given).
 * @param {any[]} transitions @param {any} a
 */
function ackedBy(transitions, a) {
  const t = transitions.filter((x) => x.kind === 'acknowledged' && x.episode === a.episode).at(-1);
  return t ? [' by ', h('strong', { id: 'acked-by' }, t.actor)] : null;
}

/** @type {import('./app.js').Render} */
export async function alertPage(main, [id]) {
  const status = h('div', { 'aria-live': 'polite' });
  const body = h('div');
  replace(main, status, body);
  async function load() {
    const { alert: a, transitions, deliveries, incidents, escalations = [] } = await get(`/alerts/${encodeURIComponent(id ?? '')}`);
    const details = await Promise.all(deliveries.map((/** @type {any} */ d) => get(`/deliveries/${d.id}`)));
    document.title = `${a.title} · tocsin`;
    /** @type {{at: string, cls: string, content: any}[]} */
    const events = [
      ...transitions.map((/** @type {any} */ t) => ({ at: t.at, cls: t.kind === 'escalated' ? 't-escalated' : 't-transition', content: transitionText(t, escalations) })),
      ...details.flatMap((x) => x.attempts.map((/** @type {any} */ at) => ({ at: at.at, cls: `t-${at.outcome}`, content: attemptText(x.delivery, at) }))),
    ].sort((x, y) => x.at.localeCompare(y.at));
    /** @param {'acknowledge' | 'unacknowledge' | 'resolve'} action */
    const act = (action) => async () => {
      try {
        const pending = escalations.filter((/** @type {any} */ e) => e.status === 'pending').length;
        // Who acts: the name this browser last gave (a silence's "created by"), else the API records `api`.
        const by = myName();
        await post(`/alerts/${encodeURIComponent(a.id)}/${action}`, action === 'resolve' || !by ? {} : { by });
        // The API cancels whatever is still pending when it acts; the table below, read again, shows which.
        const stopped = pending ? ' The escalation steps still pending are cancelled.' : '';
        const done = {
          resolve: `Resolved: the resolve is queued to every destination this alert went to.${stopped}`,
          acknowledge: `Acknowledged.${stopped}`,
          unacknowledge: 'Unacknowledged: the alert is firing again, and the escalation steps the acknowledgement cancelled are pending again.',
        }[action];
        replace(status, note(done, 'okay'));
        await load();
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 401)) replace(status, note(`${action} failed: ${e instanceof Error ? e.message : e}`, 'error'));
      }
    };
    replace(body,
      h('p', null, link('/ui/alerts', '← Alerts')),
      h('h1', null, a.title),
      h('div', { class: 'actions' }, badge(a.state), badge(a.severity),
        h('button', { type: 'button', id: 'ack', onclick: act('acknowledge'), disabled: a.state !== 'firing' }, 'Acknowledge'),
        a.state === 'acknowledged' ? h('button', { type: 'button', id: 'unack', onclick: act('unacknowledge') }, 'Unacknowledge') : null,
        h('button', { type: 'button', id: 'resolve', class: 'danger', onclick: act('resolve'), disabled: a.state === 'resolved' }, 'Resolve')),
      a.description ? h('pre', null, a.description) : null,
      kv({
        Source: a.source, 'Dedup key': h('code', null, a.dedup_key), 'incident.io key': h('code', null, a.incident_io_dedup_key), Episode: a.episode, Events: a.event_count,
        'Routed to': a.unrouted ? 'no route matched (unrouted)' : a.routed_to.join(', '), Created: when(a.created_at), Changed: when(a.updated_at),
        Muted: a.muted ? mutedText(a.muted) : undefined,
        Acknowledged: a.acknowledged_at ? [when(a.acknowledged_at), ackedBy(transitions, a)] : undefined, Resolved: a.resolved_at ? when(a.resolved_at) : undefined,
        Incident: incidents?.length ? incidents.map((/** @type {any} */ i, /** @type {number} */ n) => [n ? ', ' : '', i.permalink ? outLink(i.permalink, i.reference) : i.reference, ` (${i.destination}, episode ${i.episode})`]) : undefined,
        Link: a.source_url ? outLink(a.source_url) : undefined,
      }),
      h('h2', null, 'Timeline'),
      events.length ? h('ol', { class: 'timeline' }, events.map((e) => h('li', { class: e.cls }, when(e.at), ' · ', e.content))) : note('Nothing yet.'),
      escalations.length ? [h('h2', null, 'Escalation'), escalationSteps(escalations, a)] : null,
      h('h2', null, 'Deliveries'),
      deliveries.length ? deliveryRows(deliveries, load, status, false) : note('No delivery: no route matched this alert.'),
      h('h2', null, 'Labels'), h('p', { class: 'muted' }, 'What routes match on.'),
      table([{ key: 'k', label: 'Label' }, { key: 'v', label: 'Values' }], Object.entries(a.labels).map(([k, v]) => ({ k, v })), (r, key) => (key === 'k' ? h('code', null, r.k) : r.v.join(', ')), 'Labels'),
      h('h2', null, 'Metadata'), h('p', { class: 'muted' }, 'Sent to incident.io as the source gave it.'),
      h('pre', { tabindex: '0', 'aria-label': 'Metadata (JSON)' }, JSON.stringify(a.metadata, null, 2)));
  }
  try {
    await load();
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) replace(body, h('h1', null, 'Alert not found'), note(e.message, 'error'));
    else throw e;
  }
  return { refresh: load };
}
