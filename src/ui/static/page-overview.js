// @ts-check
/** Overview: alerts by state and source; per destination its last 24 h, backlog, dead letters and sender; storage. */
import { get } from './api.js';
import { badge, h, link, note, replace, s, table, when } from './dom.js';

/**
 * `host:boot:pid:nonce` (src/cluster/holder.ts) as people tell instances apart: the host and the pid.
 * @param {string} holder
 */
export const shortHolder = (holder) => {
  const parts = holder.split(':');
  return parts.length === 4 ? `${parts[0]} · pid ${parts[2]}` : holder;
};

/**
 * 24 hourly bars, delivered (up) and failed (down) from one baseline; the numbers are in the text beside it.
 * @param {{hour: string, delivered: number, retry: number, failed: number}[]} hours @param {string} name
 */
function chart(hours, name) {
  const W = 240, H = 56, mid = 36, bw = W / hours.length;
  const max = Math.max(1, ...hours.map((x) => x.delivered), ...hours.map((x) => x.retry + x.failed));
  const delivered = hours.reduce((n, x) => n + x.delivered, 0);
  const failed = hours.reduce((n, x) => n + x.retry + x.failed, 0);
  const label = `${name}, last 24 hours: ${delivered} delivered, ${failed} failed attempts`;
  return s('svg', { class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label },
    s('title', {}, label),
    hours.map((x, i) => {
      const up = Math.round((x.delivered / max) * (mid - 2));
      const down = Math.round(((x.retry + x.failed) / max) * (H - mid - 2));
      return s('g', {},
        s('title', {}, `${new Date(x.hour).toLocaleString()}: ${x.delivered} delivered, ${x.retry + x.failed} failed`),
        up ? s('rect', { class: 'd', x: i * bw + 1, y: mid - up, width: bw - 2, height: up }) : null,
        down ? s('rect', { class: 'f', x: i * bw + 1, y: mid + 1, width: bw - 2, height: down }) : null);
    }),
    s('line', { class: 'base', x1: 0, x2: W, y1: mid + 0.5, y2: mid + 0.5 }));
}

/** @type {import('./app.js').Render} */
export async function overviewPage(main) {
  const body = h('div');
  replace(main, h('h1', null, 'Overview'), body);
  async function load() {
    const o = await get('/overview');
    const st = o.alerts.by_state;
    const sources = Object.entries(o.alerts.by_source).map(([name, c]) => ({ name, ...c }));
    replace(body,
      h('div', { class: 'cards' },
        ['firing', 'acknowledged', 'resolved'].map((k) => h('a', { class: 'card', href: `/ui/alerts?status=${k}`, 'data-nav': '' },
          h('div', { class: 'n' }, st[k] ?? 0), h('div', { class: 'l' }, `${k} alerts`))),
        h('div', { class: 'card' }, h('div', { class: 'n' }, o.destinations.reduce((/** @type {number} */ n, /** @type {any} */ d) => n + d.dead, 0)), h('div', { class: 'l' }, link('/ui/deliveries?status=dead', 'dead letters')))),
      h('h2', null, 'Alerts by source'),
      sources.length ? table([{ key: 'name', label: 'Source' }, { key: 'firing', label: 'Firing', num: true }, { key: 'acknowledged', label: 'Acknowledged', num: true }, { key: 'resolved', label: 'Resolved', num: true }],
        sources, (r, k) => (k === 'name' ? link(`/ui/alerts?source=${encodeURIComponent(r.name)}`, r.name) : r[k]), 'Alerts by source and state') : note('No alert yet. The Sources page shows how to send one.'),
      h('h2', null, 'Destinations'),
      table([{ key: 'name', label: 'Destination' }, { key: 'chart', label: 'Last 24 h (delivered ↑ failed ↓)' }, { key: 'totals', label: 'Delivered / failed' }, { key: 'backlog', label: 'Backlog', num: true }, { key: 'rate', label: 'Rate limit used (last min)' }, { key: 'dead', label: 'Dead', num: true }, { key: 'sender', label: 'Sent by' }],
        o.destinations,
        (d, k) => {
          if (k === 'name') return [h('strong', null, d.name), h('div', { class: 'muted' }, d.configured ? d.type : 'not configured (orphaned deliveries)')];
          if (k === 'chart') return chart(d.last_24h, d.name);
          if (k === 'totals') return `${d.last_24h.reduce((/** @type {number} */ n, /** @type {any} */ x) => n + x.delivered, 0)} / ${d.last_24h.reduce((/** @type {number} */ n, /** @type {any} */ x) => n + x.retry + x.failed, 0)}`;
          if (k === 'rate') return d.rate_limit ? `${d.rate_limit.used_last_minute} of ${d.rate_limit.per_minute}/min` : '—';
          if (k === 'dead') return d.dead ? link(`/ui/deliveries?status=dead&destination=${encodeURIComponent(d.name)}`, String(d.dead)) : '0';
          if (k === 'sender') return d.sender ? [h('code', { title: d.sender.holder }, shortHolder(d.sender.holder)), d.sender.held_here ? ' (this instance)' : '', h('div', { class: 'muted' }, d.sender.expires_at ? ['lease until ', when(d.sender.expires_at)] : 'released')] : h('span', { class: 'muted' }, 'no sender yet');
          return d[k];
        }, 'Destinations: deliveries over the last 24 hours, backlog, dead letters and the instance sending'),
      h('h2', null, 'Storage and instance'),
      h('dl', { class: 'kv' },
        h('dt', null, 'Storage'), h('dd', null, o.storage.kind === 'postgres' ? 'PostgreSQL' : 'SQLite', ' ', o.storage.ready ? badge('ok') : badge('failed'), o.storage.ready ? ' takes writes' : ` ${o.storage.reason}`),
        h('dt', null, 'This instance'), h('dd', null, h('code', null, o.instance))));
  }
  await load();
  return { refresh: load };
}
