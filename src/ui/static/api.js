// @ts-check
/**
 * The management API with the session cookie. Changes carry the session's CSRF token (X-CSRF-Token); the admin token
 * is sent once, to log in, and kept nowhere.
 */

let csrf = '';

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {any} [details] e.g. `{ problems: [{ field, message }] }` of a 400 */
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** A 400's problems by field (`matchers`, `ends_at`…), to show each beside its input. @returns {{ field: string, message: string }[]} */
  get problems() {
    return Array.isArray(this.details?.problems) ? this.details.problems : [];
  }
}

/** Called when the API says the session is gone (expired, logged out elsewhere, the admin token changed). */
let onUnauthorized = (/** @type {ApiError} */ _e) => {};
/** @param {(e: ApiError) => void} fn */
export const whenUnauthorized = (fn) => (onUnauthorized = fn);

/**
 * @param {string} method
 * @param {string} path under /api/v1
 * @param {unknown} [body]
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : {};
  if (!res.ok) {
    const e = new ApiError(res.status, data?.error?.code ?? 'error', data?.error?.message ?? `HTTP ${res.status}`, data?.error?.details);
    if (res.status === 401 && path !== '/session') onUnauthorized(e);
    throw e;
  }
  return data;
}

export const get = (/** @type {string} */ path) => api('GET', path);
export const post = (/** @type {string} */ path, /** @type {unknown} */ body = {}) => api('POST', path, body);
export const del = (/** @type {string} */ path) => api('DELETE', path);

/**
 * The name this browser last gave (a silence's "created by", who acknowledged): a session is the admin token's, not a
 * person's, so the name is remembered here for the next time, never sent anywhere by itself.
 */
const NAME_KEY = 'tocsin.name';
export function myName() {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}
/** @param {string} name */
export function rememberName(name) {
  try {
    if (name.trim()) localStorage.setItem(NAME_KEY, name.trim());
  } catch {
    // Storage refused (private mode): the field is just empty next time.
  }
}

/** @returns {Promise<{ open: true } | { open: false, code: string }>} whether this browser has a session open */
export async function resume() {
  try {
    const s = await api('GET', '/session');
    csrf = s.csrf_token ?? '';
    return { open: true };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return { open: false, code: e.code };
    throw e;
  }
}

/** @param {string} token */
export async function login(token) {
  const s = await api('POST', '/session', { token });
  csrf = s.csrf_token;
}

export async function logout() {
  try {
    await api('DELETE', '/session');
  } finally {
    csrf = '';
  }
}

/** @param {Record<string, string | undefined>} params */
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const t = q.toString();
  return t ? `?${t}` : '';
}

/**
 * What a page does with a failed read it started itself (a filter, "show more"): say so where the results go. A 401 is
 * left to the login page.
 * @param {(...nodes: any[]) => void} show
 */
export const shownFailure = (show) => (/** @type {unknown} */ e) => {
  if (e instanceof ApiError && e.status === 401) return;
  show(e instanceof Error ? e.message : String(e));
};
