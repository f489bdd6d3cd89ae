/**
 * `incident_io_incidents`: declares an incident through the v2 API for each alert episode, and closes it (or notes
 * the resolution) when the alert resolves. Authenticated with an org API key.
 */
import type { Logger } from 'pino';
import type { Agent } from 'undici';
import type { JsonObject } from '../../domain/alert.ts';
import type { DestinationType } from '../registry.ts';
import { NO_HISTORY, type Destination, type DeliveryPayload, type SendContext, type SendOutcome } from '../types.ts';
import { classify } from './classify.ts';
import { createAgent, sendJson } from './http.ts';
import { severityFor, type Catalog } from './incidents-catalog.ts';
import { incidentsConfig, type IncidentsConfig } from './incidents-config.ts';
import { FINISHED_CATEGORIES, readIncident } from './incidents-contract.ts';
import { explain422, hintsFor } from './incidents-hints.ts';
import { loadCatalog, type CatalogLoad } from './incidents-lookup.ts';
import { buildClose, buildCreate, buildResolvedSummary } from './incidents-payload.ts';

/** What is remembered per alert episode (SendOutcome.state) once the incident exists. */
interface Declared {
  id: string;
  reference: string;
  /** Closed by tocsin, or found already finished in incident.io. */
  finished: boolean;
}

function readState(previous: JsonObject | undefined): Declared | undefined {
  const id = previous?.['incident_id'];
  if (typeof id !== 'string' || id === '') return undefined;
  const reference = previous?.['reference'];
  return { id, reference: typeof reference === 'string' && reference ? reference : id, finished: previous?.['finished'] === true };
}

/** Delivered without a request. `statusCode` 0: nothing was sent, so there is no HTTP status to report. */
const noCall = (detail: string, state?: JsonObject): SendOutcome => ({ kind: 'delivered', statusCode: 0, detail, ...(state ? { state } : {}) });

export interface IncidentsDeps {
  /** The names resolved at create(); undefined when incident.io could not be reached then. */
  catalog: Catalog | undefined;
  agent: Agent;
}

export function createIncidentsDestination(name: string, c: IncidentsConfig, deps: IncidentsDeps): Destination {
  const { agent } = deps;
  const headers = { authorization: `Bearer ${c.api_key}`, 'user-agent': 'tocsin' };
  const target = { baseUrl: c.base_url, apiKey: c.api_key, timeoutMs: c.timeout_ms };
  const post = (path: string, body: unknown) => sendJson(agent, 'POST', `${c.base_url}${path}`, headers, JSON.stringify(body), c.timeout_ms);
  const incidentPath = (id: string) => `/v2/incidents/${encodeURIComponent(id)}`;

  let catalog = deps.catalog;
  let loading: Promise<CatalogLoad> | undefined;

  /** incident.io was unreachable at start: look the names up now, once, whichever send gets here first. */
  async function ensureCatalog(): Promise<{ ok: true; catalog: Catalog } | { ok: false; outcome: SendOutcome }> {
    if (catalog) return { ok: true, catalog };
    loading ??= loadCatalog(agent, target, c).finally(() => (loading = undefined));
    const loaded = await loading;
    if (loaded.ok) {
      catalog = loaded.catalog;
      return loaded;
    }
    const what = loaded.problems.map((p) => `destinations.${name}.${p.path}: ${p.message}`).join('; ');
    if (loaded.transient) return { ok: false, outcome: { kind: 'retry', error: `severity and status names not resolved yet — ${what}` } };
    return {
      ok: false,
      outcome: { kind: 'failed', error: what, hint: 'Fix this destination in the config and reload tocsin (SIGHUP), then retry this delivery.' },
    };
  }

  async function declare(p: DeliveryPayload): Promise<SendOutcome> {
    const names = await ensureCatalog();
    if (!names.ok) return names.outcome;
    const body = buildCreate(p, { visibility: c.visibility, mode: c.mode, severityId: severityFor(names.catalog, p.severity).id });
    const res = await post('/v2/incidents', body);
    const result = explain422(classify(res, Date.now(), hintsFor('create')), 'create', 'the incident');
    if (result.kind !== 'delivered') return result;
    const incident = res.ok ? readIncident(res.res.body) : undefined;
    if (!incident) {
      // Safe to send again: the same idempotency key makes incident.io answer with the incident it created.
      return { ...result, kind: 'retry', error: 'incident.io accepted the incident but its answer held no incident id; asking again with the same idempotency key' };
    }
    const finished = incident.statusCategory !== undefined && FINISHED_CATEGORIES.includes(incident.statusCategory);
    const state: JsonObject = { incident_id: incident.id, reference: incident.reference, idempotency_key: body.idempotency_key, finished };
    if (incident.permalink) state['permalink'] = incident.permalink;
    const mode = incident.mode ?? body.mode;
    const detail = [
      `created ${incident.reference}${mode === 'test' ? ' (test mode)' : ''}`,
      // Only a replayed key returns an incident that is already over: most likely tocsin's database was reset.
      ...(finished ? [`— already ${incident.statusCategory} in incident.io (this episode's idempotency key was used before; was tocsin's database reset?)`] : []),
      ...(incident.permalink ? [incident.permalink] : []),
    ].join(' ');
    return { ...result, state, detail };
  }

  async function close(p: DeliveryPayload, declared: Declared, previous: JsonObject): Promise<SendOutcome> {
    const names = await ensureCatalog();
    if (!names.ok) return names.outcome;
    const status = names.catalog.closedStatus;
    if (!status) return { kind: 'failed', error: 'no closed status resolved', hint: 'Reload tocsin (SIGHUP) so the closed status is looked up again, then retry this delivery.' };
    const res = await post(`${incidentPath(declared.id)}/actions/edit`, buildClose(status.id));
    const result = explain422(classify(res, Date.now(), hintsFor('close', declared.reference)), 'close', declared.reference, status.name);
    if (result.kind !== 'delivered') return result;
    return { ...result, state: { ...previous, finished: true, closed_at: new Date(p.at).toISOString() }, detail: `closed ${declared.reference}` };
  }

  async function noteResolution(p: DeliveryPayload, declared: Declared): Promise<SendOutcome> {
    // Read first: responders edit the summary, and the edit action replaces it whole.
    const read = await sendJson(agent, 'GET', `${c.base_url}${incidentPath(declared.id)}`, headers, undefined, c.timeout_ms);
    const shown = classify(read, Date.now(), hintsFor('read', declared.reference));
    if (shown.kind !== 'delivered') return shown;
    const incident = read.ok ? readIncident(read.res.body) : undefined;
    if (!incident) return { ...shown, kind: 'retry', error: `incident.io answered without ${declared.reference}'s details` };
    const edit = buildResolvedSummary(incident.summary, p.at);
    if (!edit) return { ...shown, detail: `the resolution is already in ${declared.reference}'s summary` };
    const res = await post(`${incidentPath(declared.id)}/actions/edit`, edit);
    const result = explain422(classify(res, Date.now(), hintsFor('summary', declared.reference)), 'summary', declared.reference);
    if (result.kind !== 'delivered') return result;
    return { ...result, detail: `added the resolution to ${declared.reference}'s summary (left open)` };
  }

  async function resolve(p: DeliveryPayload, declared: Declared, state: JsonObject): Promise<SendOutcome> {
    if (declared.finished) return noCall(`${declared.reference} is already closed`);
    if (c.on_resolve === 'nothing') return noCall(`${declared.reference} left open (on_resolve: nothing)`);
    if (c.on_resolve === 'summary_only') return noteResolution(p, declared);
    return close(p, declared, state);
  }

  /**
   * A resolve with no incident on record, after a create whose answer tocsin never read: incident.io may hold an
   * open incident for this episode. Repeating the create with the same idempotency key returns it (or, if the
   * earlier request never got there, declares it now), and the resolve then applies to it. Both calls happen in
   * this one send so the row settles at once; the incident learned is kept even when the resolve must be retried.
   */
  async function settleThenResolve(p: DeliveryPayload): Promise<SendOutcome> {
    const created = await declare(p);
    if (created.kind !== 'delivered') return created;
    const declared = readState(created.state)!;
    const settled = `${declared.reference} (declared by an earlier attempt whose answer was lost)`;
    const resolved = await resolve(p, declared, created.state!);
    if (resolved.kind === 'failed') return resolved;
    const state = resolved.state ?? created.state!;
    if (resolved.kind === 'retry') return { ...resolved, state, error: `found ${settled}; ${resolved.error}` };
    // Nothing more to send (already closed, say): the create is the call this attempt made.
    const answer = resolved.statusCode === 0 ? created : resolved;
    return { ...answer, state, detail: `found ${settled}; ${resolved.detail ?? ''}`.trim() };
  }

  return {
    name,
    type: 'incident_io_incidents',
    rateLimit: { perMinute: c.rate_limit_per_minute, burst: Math.min(c.rate_limit_burst, c.rate_limit_per_minute) },
    // A send may settle an unknown create (a read, then the create or the update): up to three requests.
    sendTimeoutMs: 3 * c.timeout_ms,
    async send(payload, previous, context: SendContext = NO_HISTORY) {
      const declared = readState(previous);
      if (payload.status === 'firing') {
        if (!declared) return declare(payload);
        // The incident belongs to its responders now: they rename it, rewrite the summary, change the severity.
        // Writing the alert's newer content over theirs would undo their work, so a firing update changes nothing.
        return noCall(`${declared.reference} already declared for this episode; alert updates are not written to it`);
      }
      if (declared) return resolve(payload, declared, previous!);
      if (!context.earlierAttemptMayHaveLanded) return noCall('no incident was declared for this episode; nothing to resolve');
      // Leaving incidents open is what the user asked for: no need to learn whether one exists.
      if (c.on_resolve === 'nothing') return noCall('an earlier create may have declared an incident; left as it is (on_resolve: nothing)');
      return settleThenResolve(payload);
    },
    close: () => agent.close(),
  };
}

async function create(name: string, c: IncidentsConfig, deps: { logger: Logger }): Promise<Destination> {
  // Imported here, not at the top: registry.ts imports this module, and a static import back would be a cycle.
  const { DestinationConfigError } = await import('../registry.ts');
  const agent = createAgent(c.timeout_ms);
  const loaded = await loadCatalog(agent, { baseUrl: c.base_url, apiKey: c.api_key, timeoutMs: c.timeout_ms }, c);
  if (!loaded.ok && !loaded.transient) {
    await agent.close();
    const [first, ...more] = loaded.problems;
    const also = more.map((p) => `\n  also destinations.${name}.${p.path}: ${p.message}`).join('');
    throw new DestinationConfigError(first!.path, `${first!.message}${also}`);
  }
  if (!loaded.ok) {
    // Starting anyway keeps ingest and every other destination working through an incident.io outage; the
    // names are checked at this destination's first delivery, which waits (retries) until incident.io answers.
    deps.logger.warn({ destination: name, problems: loaded.problems }, 'incident.io unreachable: severity and status names will be resolved at the first delivery');
  }
  return createIncidentsDestination(name, c, { catalog: loaded.ok ? loaded.catalog : undefined, agent });
}

export const incidentsDestination: DestinationType<IncidentsConfig> = {
  type: 'incident_io_incidents',
  config: incidentsConfig,
  create,
  // The organisation is the API key's, which is secret: only the base URL can say the target moved.
  target: (c) => `${c.base_url}/v2/incidents`,
};
