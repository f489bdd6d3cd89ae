/** The incidents v2 API: create, show, list, and the edit action (API key auth). */
import { readJsonBody } from './body.ts';
import { apiKeyRequest, type Inbound, type Route } from './context.ts';
import { fieldError, insufficientPermissions, notFound, ok, validationError, type Answer } from './errors.ts';
import type { IncidentCreateInput, IncidentEditInput, IncidentRecord, IncidentStore } from './incident-store.ts';
import { pageSize, paginate, type Filters } from './query.ts';
import { unknownFields, validate } from './schema.ts';

const NOT_MODELLED = ['custom_field_entries', 'incident_role_assignments', 'incident_timestamp_values', 'incident_type_id', 'retrospective_incident_options'];

/** Parses and validates a JSON body against `schema`, annotating the request log. */
function readPayload<T>(req: Inbound, schema: string): { ok: true; value: T } | { ok: false; answer: Answer } {
  const body = readJsonBody(req.headers['content-type'], req.body);
  if (!body.ok) return { ok: false, answer: body.rejection };
  req.record.body = body.value;
  const errors = validate(schema, body.value);
  if (errors.length > 0) return { ok: false, answer: validationError(errors) };
  req.record.ignored_fields = unknownFields(schema, body.value);
  return { ok: true, value: body.value as T };
}

function noteNotModelled(req: Inbound, payload: Record<string, unknown>, prefix = ''): void {
  for (const field of NOT_MODELLED) {
    if (payload[field] !== undefined) req.record.notes.push(`${prefix}${field} accepted but not modelled by the emulator`);
  }
}

const create: Route = {
  method: 'POST',
  url: '/v2/incidents',
  handle: (ctx, req) =>
    apiKeyRequest(ctx, req, 'incidents.create', (key) => {
      const payload = readPayload<IncidentCreateInput & Record<string, unknown>>(req, 'IncidentsCreatePayloadV2');
      if (!payload.ok) return payload.answer;
      noteNotModelled(req, payload.value);
      const outcome = ctx.state.incidents.create(payload.value, { api_key: { id: key.id, name: key.name } });
      if (!outcome.ok) return validationError(outcome.errors);
      req.record.effect = outcome.replay ? 'idempotent_replay' : 'incident_created';
      req.record.notes.push(`incident INC-${outcome.incident.number} (${outcome.incident.id})`);
      return ok({ incident: ctx.state.incidents.view(outcome.incident) });
    }),
};

const show: Route = {
  method: 'GET',
  url: '/v2/incidents/:id',
  handle: (ctx, req) =>
    apiKeyRequest(ctx, req, 'incidents.view', () => {
      const incident = ctx.state.incidents.find(req.params['id'] ?? '');
      return incident ? ok({ incident: ctx.state.incidents.view(incident) }) : notFound('No incident with this ID exists');
    }),
};

const LIST_FILTERS = {
  status: ['one_of', 'not_in'],
  status_category: ['one_of', 'not_in'],
  severity: ['one_of', 'not_in', 'gte', 'lte'],
  mode: ['one_of'],
} as const;
const LIST_NOT_EMULATED = ['created_at', 'updated_at', 'incident_type', 'incident_role', 'custom_field'];
/** incident.io leaves test and tutorial incidents out unless `mode[one_of]` asks for them. */
const DEFAULT_MODES = ['standard', 'retrospective'];

type Predicate = (incident: IncidentRecord) => boolean;

function listPredicates(store: IncidentStore, filters: Filters): { ok: true; predicates: Predicate[] } | { ok: false; answer: Answer } {
  const predicates: Predicate[] = [];
  const idIn = (get: (i: IncidentRecord) => string | undefined, f: Record<string, string[]>) => {
    if (f['one_of']) {
      const set = f['one_of'];
      predicates.push((i) => set.includes(get(i) ?? ''));
    }
    if (f['not_in']) {
      const set = f['not_in'];
      predicates.push((i) => !set.includes(get(i) ?? ''));
    }
  };
  if (filters['status']) idIn((i) => i.statusId, filters['status']);
  if (filters['status_category']) idIn((i) => store.status(i.statusId)?.category, filters['status_category']);
  const severity = filters['severity'];
  if (severity) {
    idIn((i) => i.severityId, severity);
    for (const op of ['gte', 'lte'] as const) {
      const id = severity[op]?.[0];
      if (id === undefined) continue;
      const bound = store.severity(id);
      if (!bound) return { ok: false, answer: validationError([fieldError('not_found', 'No severity with this ID exists', `severity[${op}]`)]) };
      predicates.push((i) => {
        const rank = i.severityId ? store.severity(i.severityId)?.rank : undefined;
        return rank !== undefined && (op === 'gte' ? rank >= bound.rank : rank <= bound.rank);
      });
    }
  }
  return { ok: true, predicates };
}

const list: Route = {
  method: 'GET',
  url: '/v2/incidents',
  handle: (ctx, req) =>
    apiKeyRequest(ctx, req, 'incidents.view', () => {
      // The parameter schema says maximum 500, but the endpoint description and PaginationMeta say 250.
      const size = pageSize(req.query, 1, 250, 25);
      if (!size.ok) return size.rejection;
      const sortBy = req.query.first('sort_by') ?? 'created_at_newest_first';
      if (sortBy !== 'created_at_newest_first' && sortBy !== 'created_at_oldest_first') {
        return validationError([fieldError('invalid_value', 'sort_by must be one of: created_at_newest_first, created_at_oldest_first', 'sort_by')]);
      }
      const filterMode = req.query.first('filter_mode') ?? 'all';
      if (filterMode !== 'all' && filterMode !== 'any') {
        return validationError([fieldError('invalid_value', 'filter_mode must be one of: all, any', 'filter_mode')]);
      }
      const parsed = req.query.filters(LIST_FILTERS, LIST_NOT_EMULATED);
      if (!parsed.ok) return parsed.rejection;
      const { mode, ...rest } = parsed.filters;
      const built = listPredicates(ctx.state.incidents, rest);
      if (!built.ok) return built.answer;
      const modes = mode?.['one_of'] ?? DEFAULT_MODES;
      const predicates = built.predicates;
      const keep = (i: IncidentRecord): boolean =>
        modes.includes(i.mode) &&
        (predicates.length === 0 || (filterMode === 'all' ? predicates.every((p) => p(i)) : predicates.some((p) => p(i))));

      const ordered = [...ctx.state.incidents.all()];
      if (sortBy === 'created_at_newest_first') ordered.reverse();
      const matching = ordered.filter(keep);
      const page = paginate(matching, size.value, req.query.first('after'));
      if (!page.ok) return page.rejection;
      const meta: Record<string, unknown> = { page_size: size.value, total_record_count: matching.length };
      if (page.after) meta['after'] = page.after;
      return ok({ incidents: page.page.map((i) => ctx.state.incidents.view(i)), pagination_meta: meta });
    }),
};

const edit: Route = {
  method: 'POST',
  url: '/v2/incidents/:id/actions/edit',
  handle: (ctx, req) =>
    // The spec declares no scope for the edit action; `incidents.edit` is the emulator's name for it.
    apiKeyRequest(ctx, req, 'incidents.edit', (key) => {
      // Only the full ID: the numeric shorthand is documented for Show alone.
      const id = req.params['id'] ?? '';
      const incident = ctx.state.incidents.all().find((i) => i.id === id);
      if (!incident) return notFound('No incident with this ID exists');
      const payload = readPayload<{ incident: IncidentEditInput & Record<string, unknown>; notify_incident_channel: boolean }>(req, 'IncidentsEditPayloadV2');
      if (!payload.ok) return payload.answer;
      noteNotModelled(req, payload.value.incident, 'incident.');
      const outcome = ctx.state.incidents.edit(incident, payload.value.incident, key.scopes.includes('post_incident_flow_opt_out'));
      if (!outcome.ok) {
        return outcome.reason === 'invalid' ? validationError(outcome.errors) : insufficientPermissions('post_incident_flow_opt_out', outcome.message);
      }
      req.record.effect = 'incident_updated';
      return ok({ incident: ctx.state.incidents.view(outcome.incident) });
    }),
};

export const incidentRoutes: Route[] = [create, list, show, edit];
