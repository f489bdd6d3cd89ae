// @ts-check
/**
 * The form that creates a silence: matchers in Alertmanager's syntax (as `tocsin silence add` takes them), start, a
 * duration or an end, who and why; "Preview" lists the active alerts it would hold before it exists. The API validates:
 * each problem it names is shown beside its field.
 */
import { ApiError, myName, post, rememberName } from './api.js';
import { badge, h, link, note, replace, table, when } from './dom.js';

/** The form's fields: id suffix, the API field its errors come under. */
const FIELDS = ['matchers', 'starts', 'duration', 'ends', 'created_by', 'comment'];

/** The matchers as typed: one per line (a line may hold several, comma-separated, or `{…}`). @param {string} text */
export const matcherLines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/**
 * A labelled input with its error slot (`aria-describedby`), so a screen reader reads the problem with the field.
 * @param {string} key @param {string} label @param {HTMLElement} input @param {string} [hint]
 */
function field(key, label, input, hint) {
  input.id = `s-${key}`;
  input.setAttribute('name', key);
  input.setAttribute('aria-describedby', `s-${key}-error${hint ? ` s-${key}-hint` : ''}`);
  return h('div', { class: 'field' },
    h('label', { for: `s-${key}` }, label, input),
    hint ? h('div', { id: `s-${key}-hint`, class: 'muted hint' }, hint) : null,
    h('div', { id: `s-${key}-error`, class: 'field-error' }));
}

/** A datetime-local value (the browser's time zone) as ISO 8601, or undefined when empty. @param {string} v */
function isoOf(v) {
  if (!v) return undefined;
  const t = new Date(v);
  return Number.isNaN(t.getTime()) ? 'invalid' : t.toISOString();
}

/**
 * The active alerts some matchers would silence now, as a table (or why not).
 * @param {{ alerts: any[], truncated: boolean }} r @param {string} [verb]
 */
export function matchedAlerts(r, verb = 'would be silenced') {
  if (!r.alerts.length) return note('No active alert matches: the silence would hold nothing now (alerts firing later are held when they come).');
  return [
    h('p', null, h('strong', null, `${r.alerts.length}${r.truncated ? '+' : ''} active alert${r.alerts.length === 1 ? '' : 's'}`), ` ${verb}:`),
    table([{ key: 'title', label: 'Alert' }, { key: 'state', label: 'State' }, { key: 'source', label: 'Source' }], r.alerts,
      (a, k) => (k === 'title' ? link(`/ui/alerts/${encodeURIComponent(a.id)}`, a.title) : k === 'state' ? badge(a.state) : a[k]),
      'Active alerts these matchers match now'),
  ];
}

/**
 * @param {(silence: any) => Promise<void>} created called with the new silence, once the API took it
 * @returns {HTMLElement}
 */
export function silenceForm(created) {
  const matchers = h('textarea', { rows: 3, spellcheck: 'false', placeholder: 'alertname=~"Disk.*"\nteam="storage"', 'aria-required': 'true' });
  const starts = h('input', { type: 'datetime-local' });
  const dur = h('input', { type: 'text', value: '2h', size: 6, spellcheck: 'false' });
  const ends = h('input', { type: 'datetime-local' });
  const by = h('input', { type: 'text', value: myName(), autocomplete: 'name', 'aria-required': 'true' });
  const comment = h('textarea', { rows: 2, placeholder: 'disk swap, CHG-42', 'aria-required': 'true' });
  const preview = h('div', { id: 's-preview', 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'polite' });
  const inputs = /** @type {Record<string, HTMLInputElement>} */ (/** @type {unknown} */ ({ matchers, starts, duration: dur, ends, created_by: by, comment }));
  const value = (/** @type {string} */ k) => inputs[k]?.value.trim() ?? '';

  /** @param {Record<string, string>} problems field key → message */
  function showProblems(problems) {
    for (const k of FIELDS) {
      const slot = /** @type {HTMLElement} */ (form.querySelector(`#s-${k}-error`));
      replace(slot, problems[k] ? h('span', { role: 'alert' }, problems[k]) : null);
      if (problems[k]) inputs[k]?.setAttribute('aria-invalid', 'true');
      else inputs[k]?.removeAttribute('aria-invalid');
    }
    const first = FIELDS.find((k) => problems[k]);
    if (first) inputs[first]?.focus();
  }

  /** The API's problems on the form's fields (`ends_at` is the duration's when no end was given). @param {unknown} e */
  function shown(e) {
    if (!(e instanceof ApiError) || e.status !== 400 || !e.problems.length) return false;
    /** @type {Record<string, string>} */
    const out = {};
    const rest = [];
    for (const p of e.problems) {
      const k = p.field.startsWith('matchers') ? 'matchers' : p.field === 'starts_at' ? 'starts' : p.field === 'ends_at' ? (value('ends') ? 'ends' : 'duration') : FIELDS.includes(p.field) ? p.field : null;
      if (k) out[k] = out[k] ? `${out[k]}; ${p.message}` : p.message;
      else rest.push(`${p.field}: ${p.message}`);
    }
    showProblems(out);
    replace(status, rest.length ? note(rest.join('; '), 'error') : null);
    return true;
  }

  /** @param {unknown} e @param {string} what */
  function failed(e, what) {
    if (e instanceof ApiError && e.status === 401) return;
    if (!shown(e)) replace(status, note(`${what} failed: ${e instanceof Error ? e.message : e}`, 'error'));
  }

  async function runPreview() {
    const lines = matcherLines(value('matchers'));
    if (!lines.length) return showProblems({ matchers: 'give at least one matcher, e.g. alertname="DiskFull"' });
    try {
      const r = await post('/silences/preview', { matchers: lines });
      showProblems({});
      replace(status);
      replace(preview, h('h3', null, 'Preview'), matchedAlerts(r));
    } catch (e) {
      replace(preview);
      failed(e, 'Preview');
    }
  }

  async function submit(/** @type {Event} */ e) {
    e.preventDefault();
    const startsAt = isoOf(value('starts'));
    const endsAt = isoOf(value('ends'));
    /** @type {Record<string, string>} */
    const local = {};
    if (startsAt === 'invalid') local.starts = 'is not a date and time';
    if (endsAt === 'invalid') local.ends = 'is not a date and time';
    if (Object.keys(local).length) return showProblems(local);
    const body = {
      matchers: matcherLines(value('matchers')),
      created_by: value('created_by'),
      comment: value('comment'),
      ...(startsAt ? { starts_at: startsAt } : {}),
      ...(endsAt ? { ends_at: endsAt } : { duration: value('duration') }),
    };
    try {
      const { silence } = await post('/silences', body);
      rememberName(body.created_by);
      showProblems({});
      replace(preview);
      /** @type {HTMLTextAreaElement} */ (matchers).value = '';
      /** @type {HTMLTextAreaElement} */ (comment).value = '';
      replace(status, h('p', { class: 'note okay', role: 'status' }, 'Silence ', link(`/ui/silences/${encodeURIComponent(silence.id)}`, silence.id), ` created: ${silence.state}, ends `, when(silence.ends_at), '.'));
      await created(silence);
    } catch (err) {
      failed(err, 'Creating the silence');
    }
  }

  const form = h('form', { class: 'silence-form', 'aria-label': 'New silence', novalidate: true, onsubmit: submit },
    field('matchers', 'Matchers', matchers, 'Alertmanager syntax, one per line or comma-separated: name="value", name!="value", name=~"regex", name!~"regex". Every one must match.'),
    h('div', { class: 'row' },
      field('starts', 'Starts (empty: now)', starts),
      field('duration', 'Duration', dur, '90s, 30m, 2h, 1d'),
      field('ends', 'Or ends at', ends, 'instead of the duration')),
    h('div', { class: 'row' },
      field('created_by', 'Created by', by),
      field('comment', 'Comment', comment, 'why: a ticket, a maintenance')),
    h('div', { class: 'actions' },
      h('button', { type: 'button', id: 's-preview-button', onclick: () => void runPreview() }, 'Preview matching alerts'),
      h('button', { type: 'submit', class: 'primary' }, 'Create silence')),
    status, preview);
  return form;
}
