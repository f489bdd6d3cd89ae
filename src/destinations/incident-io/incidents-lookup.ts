/**
 * Fetches the organisation's severities (and, for on_resolve: close, its incident statuses) and resolves the
 * configured names against them. One attempt, no retries: the caller decides what a failure means (a failed
 * start for a definite answer, a later try for an unreachable incident.io).
 */
import type { Dispatcher } from 'undici';
import { resolveCatalog, type Catalog, type CatalogConfig, type CatalogProblem } from './incidents-catalog.ts';
import { readSeverities, readStatuses, type SeverityRef, type StatusRef } from './incidents-contract.ts';
import { sendJson } from './http.ts';

export interface LookupTarget {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

/**
 * `transient`: incident.io could not be asked (network, timeout, 408, 429, 5xx) — try again later.
 * Otherwise the answer is definite (wrong key, missing permission, unknown name): a config mistake.
 */
export type CatalogLoad = { ok: true; catalog: Catalog } | { ok: false; transient: boolean; problems: CatalogProblem[] };

/** For messages: the base URL without any userinfo, which could be a credential. */
export function displayUrl(baseUrl: string): string {
  try {
    const u = new URL(baseUrl);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(base_url)';
  }
}

type ListOutcome<T> = { ok: true; list: T[] } | { ok: false; transient: boolean; problem: CatalogProblem };

async function getList<T>(
  agent: Dispatcher,
  t: LookupTarget,
  path: string,
  what: string,
  scope: string,
  read: (body: string) => T[] | undefined,
): Promise<ListOutcome<T>> {
  const where = `${displayUrl(t.baseUrl)}${path}`;
  const res = await sendJson(agent, 'GET', `${t.baseUrl}${path}`, { authorization: `Bearer ${t.apiKey}`, 'user-agent': 'tocsin' }, undefined, t.timeoutMs);
  // Said once for both lists (the problems are deduplicated), so no path in it.
  if (!res.ok) return { ok: false, transient: true, problem: { path: 'base_url', message: `cannot reach incident.io at ${displayUrl(t.baseUrl)}: ${res.error}` } };
  const s = res.res.statusCode;
  if (s === 408 || s === 429 || s >= 500) {
    return { ok: false, transient: true, problem: { path: 'base_url', message: `incident.io answered ${s} when listing ${what} (GET ${where})` } };
  }
  if (s === 401) return { ok: false, transient: false, problem: { path: 'api_key', message: 'incident.io refused the API key (401): it is invalid or has been revoked' } };
  if (s === 403) {
    return {
      ok: false,
      transient: false,
      problem: { path: 'api_key', message: `the API key may not list ${what} (403; it needs the ${scope} permission): tocsin reads them at start to turn names into ids` },
    };
  }
  const list = s >= 200 && s < 300 ? read(res.res.body) : undefined;
  if (!list) {
    return { ok: false, transient: false, problem: { path: 'base_url', message: `GET ${where} did not answer with a list of ${what} (HTTP ${s}): is base_url the incident.io API, e.g. https://api.incident.io?` } };
  }
  return { ok: true, list };
}

export async function loadCatalog(agent: Dispatcher, t: LookupTarget, c: CatalogConfig): Promise<CatalogLoad> {
  const [severities, statuses] = await Promise.all([
    getList<SeverityRef>(agent, t, '/v1/severities', 'severities', 'severities.view', readSeverities),
    c.on_resolve === 'close'
      ? getList<StatusRef>(agent, t, '/v1/incident_statuses', 'incident statuses', 'incident_statuses.view', readStatuses)
      : Promise.resolve(undefined),
  ]);
  const failures = [severities, statuses].filter((r): r is Extract<ListOutcome<unknown>, { ok: false }> => r !== undefined && !r.ok);
  if (failures.length) {
    // A definite answer outranks a transient one: the key being wrong will not fix itself.
    const definite = failures.filter((f) => !f.transient);
    const shown = definite.length ? definite : failures;
    const problems = shown.map((f) => f.problem).filter((p, i, all) => all.findIndex((q) => q.message === p.message) === i);
    return { ok: false, transient: definite.length === 0, problems };
  }
  const resolved = resolveCatalog(c, severities.ok ? severities.list : [], statuses?.ok ? statuses.list : undefined);
  return resolved.ok ? resolved : { ok: false, transient: false, problems: resolved.problems };
}
