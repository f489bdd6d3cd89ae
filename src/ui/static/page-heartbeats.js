// @ts-check
/**
 * Heartbeats (docs/heartbeats.md): each configured heartbeat with its period, last ping, when the next is due, whether
 * it is up or missed, and the alert a miss raised. Never a token or a URL: the API leaves them out, and the page does
 * not show where pings are forwarded either (only that they are, and how that went).
 */
import { get } from './api.js';
import { badge, duration, h, link, note, replace, table, when } from './dom.js';

/** A ping stores no change mark (only alerts and deliveries do): the page also reads again this often. */
const REREAD_MS = 5000;

/** The API's status in the page's words: `down` is a missed heartbeat. @param {string} status */
const stateWord = (status) => ({ down: 'missed', up: 'up', late: 'late', waiting: 'waiting' })[status] ?? status;

/** @param {any} hb */
function period(hb) {
  return [`every ${hb.every}`, hb.grace_ms ? h('div', { class: 'muted' }, `+ ${duration(hb.grace_ms)} grace`) : null];
}

/** @param {any} hb */
function stateCell(hb) {
  const word = stateWord(hb.status);
  return [
    badge(word),
    hb.status === 'down' && hb.down_since ? h('div', { class: 'muted' }, 'since ', when(hb.down_since)) : null,
    hb.status === 'waiting' ? h('div', { class: 'muted' }, 'no ping yet') : null,
    hb.status === 'late' ? h('div', { class: 'muted' }, 'past due: the alert is raised within a poll') : null,
  ];
}

/** @param {any} hb */
function alertCell(hb) {
  if (hb.alert) return [link(`/ui/alerts/${encodeURIComponent(hb.alert.id)}`, `${hb.name}: alert`), ' ', badge(hb.alert.state)];
  if (!hb.raises_alert) return h('span', { class: 'muted' }, 'no alert here (alert: false): incident.io watches the forwarded pings');
  return h('span', { class: 'muted' }, `none yet (raises a ${hb.severity} alert when missed)`);
}

/** @param {any} hb */
function sourceCell(hb) {
  return [
    hb.watchdog ? h('div', null, `Alertmanager ${hb.watchdog.alertname} from source `, h('code', null, hb.watchdog.source)) : h('div', { class: 'muted' }, 'pinged over HTTP by the job'),
    hb.forward ? h('div', { class: hb.forward.last_error ? 'note error' : 'muted' }, 'forwarded to incident.io',
      hb.forward.last_forwarded_at ? [', last ', when(hb.forward.last_forwarded_at)] : ', not yet',
      hb.forward.last_error ? [': ', hb.forward.last_error] : null) : null,
    Object.keys(hb.labels ?? {}).length ? h('div', { class: 'muted' }, Object.entries(hb.labels).map(([k, v]) => `${k}=${v}`).join(' ')) : null,
  ];
}

/** tocsin's own heartbeat to incident.io (`self_heartbeat:`), if configured. @param {any} self */
function selfHeartbeat(self) {
  if (!self) return null;
  return h('section', { class: 'card', 'aria-labelledby': 'self-hb' },
    h('h2', { id: 'self-hb' }, 'tocsin\'s own heartbeat'),
    h('p', { class: 'muted' }, `This instance pings incident.io every ${duration(self.every_ms)} while its storage takes writes.`),
    h('p', null, 'Last ping: ', self.last_ping_at ? when(new Date(self.last_ping_at).toISOString()) : 'none yet',
      self.skipped ? h('div', { class: 'muted' }, `Skipped: ${self.skipped}`) : null,
      self.last_error ? h('div', { class: 'note error' }, `Last error: ${self.last_error}`) : null));
}

/** @type {import('./app.js').Render} */
export async function heartbeatsPage(main) {
  const body = h('div');
  replace(main, h('h1', null, 'Heartbeats'),
    h('p', { class: 'muted' }, 'Jobs that ping tocsin on a schedule: a heartbeat missed past its period (and grace) raises an alert, resolved by the next ping.'),
    body);
  let last = '';
  let shownAt = 0;
  /** @param {boolean} [timed] a re-read of the timer: the same answer is not drawn again (keeps the focus) for 30 s */
  async function load(timed = false) {
    const data = await get('/heartbeats');
    const text = JSON.stringify(data);
    if (timed && text === last && Date.now() - shownAt < 30_000) return;
    last = text;
    shownAt = Date.now();
    const { heartbeats, self_heartbeat: self } = data;
    const missed = heartbeats.filter((/** @type {any} */ hb) => hb.status === 'down').length;
    replace(body,
      heartbeats.length ? [
        h('p', { role: 'status' }, `${heartbeats.length} heartbeat${heartbeats.length === 1 ? '' : 's'}, `, h('strong', null, `${missed} missed`)),
        table(
          [{ key: 'name', label: 'Heartbeat' }, { key: 'state', label: 'State' }, { key: 'period', label: 'Period' }, { key: 'last', label: 'Last ping' }, { key: 'due', label: 'Due' }, { key: 'alert', label: 'Alert' }, { key: 'source', label: 'Pinged by' }],
          heartbeats,
          (hb, k) => {
            if (k === 'name') return h('code', null, hb.name);
            if (k === 'state') return stateCell(hb);
            if (k === 'period') return period(hb);
            if (k === 'last') return [when(hb.last_ping_at), hb.pings ? h('div', { class: 'muted' }, `${hb.pings} ping${hb.pings === 1 ? '' : 's'}`) : null];
            if (k === 'due') return when(hb.due_at);
            if (k === 'alert') return alertCell(hb);
            return sourceCell(hb);
          },
          'Heartbeats, with their state and the alert a miss raised'),
      ] : note('No heartbeat is configured (heartbeats: in the config, docs/heartbeats.md).'),
      selfHeartbeat(self));
  }
  await load();
  const timer = setInterval(() => void load(true).catch(() => undefined), REREAD_MS);
  return { refresh: () => load(), stop: () => clearInterval(timer) };
}
