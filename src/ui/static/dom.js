// @ts-check
/**
 * Building blocks for the pages: elements are made with h() and text nodes only (never innerHTML), so whatever an
 * alert carries — a title with markup in it — shows as text.
 */

/**
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...any} children strings, numbers, nodes, arrays of them; null/undefined/false are skipped
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** @param {Node} el @param {any[]} children */
function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** @param {Element} el @param {...any} children */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const SVG = 'http://www.w3.org/2000/svg';
/** @param {string} tag @param {Record<string, any>} attrs @param {...any} children */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

/** @param {string | null | undefined} iso */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const secs = Math.round((Date.now() - d.getTime()) / 1000);
  const ago = Math.abs(secs) < 60 ? `${Math.abs(secs)} s` : Math.abs(secs) < 3600 ? `${Math.round(Math.abs(secs) / 60)} min` : Math.abs(secs) < 86400 ? `${Math.round(Math.abs(secs) / 3600)} h` : `${Math.round(Math.abs(secs) / 86400)} d`;
  return h('time', { datetime: iso, title: d.toLocaleString() }, secs >= 0 ? `${ago} ago` : `in ${ago}`);
}

/** 180000 → `3m`, 90000 → `90s`: a delay as the config writes it (an escalation step's `after`). @param {number} ms */
export function duration(ms) {
  for (const [unit, n] of /** @type {[string, number][]} */ ([['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]])) if (ms > 0 && ms % n === 0) return `${ms / n}${unit}`;
  return `${ms}ms`;
}

/** @param {string | null | undefined} word */
export const badge = (word) => h('span', { class: `badge b-${String(word ?? 'none').replace(/[^a-z_]/g, '')}` }, word ?? 'none');

/** @param {string} path @param {...any} children */
export const link = (path, ...children) => h('a', { href: path, 'data-nav': '' }, ...children);

/** @param {Record<string, any>} rows label → value */
export function kv(rows) {
  return h('dl', { class: 'kv' }, Object.entries(rows).filter(([, v]) => v !== undefined).map(([k, v]) => [h('dt', null, k), h('dd', null, v ?? '—')]));
}

/**
 * @param {{ key: string, label: string, num?: boolean }[]} cols
 * @param {any[]} rows
 * @param {(row: any, key: string) => any} cell
 * @param {string} caption
 */
export function table(cols, rows, cell, caption) {
  return h('div', { class: 'wrap' },
    h('table', null,
      h('caption', { class: 'sr-only' }, caption),
      h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : undefined }, c.label)))),
      h('tbody', null, rows.map((r) => h('tr', null, cols.map((c) => h('td', { class: c.num ? 'num' : undefined }, cell(r, c.key))))))));
}

/** @param {string} text @param {'error' | 'okay' | ''} [kind] */
export const note = (text, kind = '') => h('p', { class: `note ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);

/** A block of text to copy, with a labelled copy button. @param {string} label @param {string} text */
export function snippet(label, text) {
  const pre = h('pre', { tabindex: '0', 'aria-label': label }, h('code', null, text));
  const btn = h('button', { type: 'button', 'aria-label': `Copy: ${label}`, onclick: async () => {
    try {
      await navigator.clipboard.writeText(text);
      btn.textContent = 'Copied';
    } catch {
      const range = document.createRange();
      range.selectNodeContents(pre);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      btn.textContent = 'Selected: press Ctrl+C';
    }
    setTimeout(() => (btn.textContent = 'Copy'), 2500);
  } }, 'Copy');
  return h('div', { class: 'snippet' }, pre, btn);
}

/**
 * A link out of tocsin (an alert's source_url, an incident's permalink): http(s) only, opened apart from this page.
 * Anything else — a `javascript:` URL some source let through — is shown as text.
 * @param {string} url @param {string} [text]
 */
export function outLink(url, text = url) {
  let ok = false;
  try {
    ok = ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    ok = false;
  }
  return ok ? h('a', { href: url, rel: 'noreferrer noopener', target: '_blank' }, text) : h('span', null, text);
}
