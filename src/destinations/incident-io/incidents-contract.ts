/**
 * The parts of incident.io's incidents v2 API (and the v1 severity and status lists) that the incidents destination
 * sends and reads, from the vendored OpenAPI schema. Every enum is open (CONTRACT.md): responses are read field by
 * field, and an unknown value, or a missing optional key, is carried along and never thrown on.
 */

export type IncidentMode = 'standard' | 'retrospective' | 'test' | 'tutorial' | (string & {});
export type Visibility = 'public' | 'private' | (string & {});
/** `live` is shown as "Active" and `learning` as "Post-incident" in incident.io. */
export type StatusCategory = 'triage' | 'declined' | 'merged' | 'canceled' | 'live' | 'learning' | 'closed' | 'paused' | (string & {});

/** IncidentsCreatePayloadV2: only what tocsin sets. Optional keys are left out, never sent as null. */
export interface IncidentCreatePayload {
  idempotency_key: string;
  visibility: 'public' | 'private';
  name: string;
  summary?: string;
  mode: 'standard' | 'test';
  severity_id: string;
}

/** IncidentEditPayloadV2: only the fields sent change. There is no visibility, mode or type here. */
export interface IncidentEditFields {
  name?: string;
  summary?: string;
  severity_id?: string;
  incident_status_id?: string;
}

/** IncidentsEditPayloadV2 (`POST /v2/incidents/{id}/actions/edit`, the only update endpoint). */
export interface IncidentEditPayload {
  incident: IncidentEditFields;
  notify_incident_channel: boolean;
}

/** SeverityV1, as far as tocsin needs it. Lower rank = less severe. */
export interface SeverityRef {
  id: string;
  name: string;
  rank: number;
}

/** IncidentStatusV1, as far as tocsin needs it. */
export interface StatusRef {
  id: string;
  name: string;
  rank: number;
  category: StatusCategory;
}

/** What tocsin keeps from an IncidentV2 answer. Only `id` is needed; the rest is for people. */
export interface IncidentView {
  id: string;
  reference: string;
  summary?: string;
  mode?: IncidentMode;
  statusCategory?: StatusCategory;
  permalink?: string;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function parse(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** `{ "incident": IncidentV2 }` from create, show and edit; undefined when there is no usable incident id. */
export function readIncident(body: string): IncidentView | undefined {
  const root = parse(body);
  const incident = isObj(root) ? root['incident'] : undefined;
  if (!isObj(incident)) return undefined;
  const id = str(incident['id']);
  if (!id) return undefined;
  const view: IncidentView = { id, reference: str(incident['reference']) ?? id };
  if (typeof incident['summary'] === 'string') view.summary = incident['summary'];
  const mode = str(incident['mode']);
  if (mode) view.mode = mode;
  const status = incident['incident_status'];
  const category = isObj(status) ? str(status['category']) : undefined;
  if (category) view.statusCategory = category;
  const permalink = str(incident['permalink']);
  if (permalink) view.permalink = permalink;
  return view;
}

function readList<T>(body: string, key: string, item: (o: Obj) => T | undefined): T[] | undefined {
  const root = parse(body);
  const list = isObj(root) ? root[key] : undefined;
  if (!Array.isArray(list)) return undefined;
  return list.flatMap((o) => {
    const v = isObj(o) ? item(o) : undefined;
    return v === undefined ? [] : [v];
  });
}

const rankOf = (o: Obj): number => (typeof o['rank'] === 'number' && Number.isFinite(o['rank']) ? o['rank'] : 0);

/** `GET /v1/severities` → `{ severities: SeverityV1[] }`; entries without an id or a name are skipped. */
export function readSeverities(body: string): SeverityRef[] | undefined {
  return readList(body, 'severities', (o) => {
    const id = str(o['id']);
    const name = str(o['name']);
    return id && name ? { id, name, rank: rankOf(o) } : undefined;
  });
}

/** `GET /v1/incident_statuses` → `{ incident_statuses: IncidentStatusV1[] }`; an unknown category is kept as is. */
export function readStatuses(body: string): StatusRef[] | undefined {
  return readList(body, 'incident_statuses', (o) => {
    const id = str(o['id']);
    const name = str(o['name']);
    return id && name ? { id, name, rank: rankOf(o), category: str(o['category']) ?? 'unknown' } : undefined;
  });
}

/** Status categories an incident does not come back from: closing one is pointless or refused. */
export const FINISHED_CATEGORIES: readonly string[] = ['closed', 'declined', 'merged', 'canceled'];
