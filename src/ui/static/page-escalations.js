// @ts-check
/** Escalations in progress: every step still to come, soonest first, with its alert, when it is due and where it goes. */
import { get } from './api.js';
import { badge, duration, h, link, note, replace, table, when } from './dom.js';

/** @type {import('./app.js').Render} */
export async function escalationsPage(main) {
  const body = h('div');
  replace(main, h('h1', null, 'Escalations'),
    h('p', { class: 'muted' }, 'Steps of a route\'s escalation still to come: each goes out when due unless its alert is acknowledged or resolved first (acknowledging cancels the steps of that episode).'),
    body);
  async function load() {
    const { escalations } = await get('/escalations?status=pending&limit=200');
    replace(body, escalations.length ? [
      table(
        [{ key: 'due_at', label: 'Due' }, { key: 'alert', label: 'Alert' }, { key: 'step', label: 'Step', num: true }, { key: 'to', label: 'Then to' }, { key: 'alert_state', label: 'Alert state' }],
        escalations,
        (e, k) => {
          if (k === 'due_at') return [when(e.due_at), h('div', { class: 'muted' }, new Date(e.due_at).toLocaleString())];
          if (k === 'alert') return [link(`/ui/alerts/${encodeURIComponent(e.alert_id)}`, e.alert_title), h('div', { class: 'muted' }, `episode ${e.episode}`)];
          if (k === 'to') return e.to.join(', ');
          if (k === 'alert_state') return [badge(e.alert_state), willNotFire(e.alert_state)];
          return e[k];
        },
        'Pending escalation steps, soonest due first'),
      h('p', { class: 'muted' }, `${escalations.length} pending${escalations.length === 200 ? ' (the first 200)' : ''}`),
    ] : note('No escalation in progress: no step is waiting to go out.'));
  }
  await load();
  return { refresh: load };
}

/**
 * A step still pending of an alert no longer firing (resolved by its source, say) is cancelled, not sent, when due.
 * @param {string} state the alert's
 */
const willNotFire = (state) => (state === 'firing' ? null : h('div', { class: 'muted' }, `will not fire: the alert is ${state}`));

/**
 * An `escalated` transition in words: "escalated to oncall: not acknowledged within 3m". The delay is the step's own
 * (`after_ms`), found by episode and step.
 * @param {any} t @param {any[]} steps the alert's escalation steps (GET /api/v1/alerts/:id)
 */
export function escalatedText(t, steps) {
  const c = t.content ?? {};
  const step = steps.find((e) => e.episode === t.episode && e.step === c.step);
  const within = step ? ` within ${duration(step.after_ms)}` : '';
  return [h('strong', null, `escalated to ${(c.to ?? []).join(', ')}`), `: not acknowledged${within}`, ` · step ${c.step ?? '?'}, episode ${t.episode}`];
}

/**
 * An alert's escalation steps: when each is (or was) due, where it goes, and what became of it.
 * @param {any[]} steps @param {any} alert
 */
export function escalationSteps(steps, alert) {
  return table(
    [{ key: 'step', label: 'Step', num: true }, { key: 'episode', label: 'Episode', num: true }, { key: 'due_at', label: 'Due' }, { key: 'to', label: 'To' }, { key: 'status', label: 'Status' }],
    steps,
    (e, k) => {
      if (k === 'due_at') return [when(e.due_at), h('div', { class: 'muted' }, `${duration(e.after_ms)} after it fired`)];
      if (k === 'to') return e.to.join(', ');
      if (k === 'status') return [badge(e.status), e.reason ? ` ${e.reason}` : null, e.status === 'pending' && e.episode === alert.episode ? willNotFire(alert.state) : null];
      return e[k];
    },
    'Escalation steps of this alert');
}
