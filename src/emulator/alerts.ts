/** GET /v2/alerts and GET /v2/alerts/{id} (API key, scope `alerts.view`). */
import { toAlertV2, type AlertRecord } from './alert-store.ts';
import { apiKeyRequest, type Route } from './context.ts';
import { notFound, ok } from './errors.ts';
import { pageSize, paginate, type Filters } from './query.ts';

const SCOPE = 'alerts.view';
const SUPPORTED = { deduplication_key: ['is'], status: ['one_of', 'not_in'], alert_source: ['one_of', 'not_in'] } as const;
const NOT_EMULATED = ['alert_group_id', 'created_at', 'attributes', 'has_notes', 'include_maintenance_window'];

function matches(alert: AlertRecord, filters: Filters): boolean {
  const oneOf = (name: string, value: string): boolean => {
    const f = filters[name];
    if (!f) return true;
    if (f['one_of'] && !f['one_of'].includes(value)) return false;
    if (f['not_in']?.includes(value)) return false;
    if (f['is'] && !f['is'].includes(value)) return false;
    return true;
  };
  return oneOf('deduplication_key', alert.deduplication_key) && oneOf('status', alert.status) && oneOf('alert_source', alert.alert_source_id);
}

export const alertRoutes: Route[] = [
  {
    method: 'GET',
    url: '/v2/alerts',
    handle: (ctx, req) =>
      apiKeyRequest(ctx, req, SCOPE, () => {
        // page_size is required by the schema for this endpoint (1..50), unlike incidents.
        const size = pageSize(req.query, 1, 50);
        if (!size.ok) return size.rejection;
        const filters = req.query.filters(SUPPORTED, NOT_EMULATED);
        if (!filters.ok) return filters.rejection;
        // Newest first, like incidents.
        const all = [...ctx.state.alerts.all()].reverse().filter((a) => matches(a, filters.filters));
        const page = paginate(all, size.value, req.query.first('after'));
        if (!page.ok) return page.rejection;
        const meta = page.after ? { after: page.after, page_size: size.value } : { page_size: size.value };
        return ok({ alerts: page.page.map(toAlertV2), pagination_meta: meta });
      }),
  },
  {
    method: 'GET',
    url: '/v2/alerts/:id',
    handle: (ctx, req) =>
      apiKeyRequest(ctx, req, SCOPE, () => {
        const alert = ctx.state.alerts.get(req.params['id'] ?? '');
        return alert ? ok({ alert: toAlertV2(alert) }) : notFound('No alert with this ID exists');
      }),
  },
];
