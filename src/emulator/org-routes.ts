/** GET /v1/incident_statuses[/{id}] and GET /v1/severities[/{id}]: the organisation's configuration. */
import { apiKeyRequest, type Route } from './context.ts';
import { notFound, ok } from './errors.ts';

export const orgRoutes: Route[] = [
  {
    method: 'GET',
    url: '/v1/incident_statuses',
    handle: (ctx, req) =>
      apiKeyRequest(ctx, req, 'incident_statuses.view', () => ok({ incident_statuses: ctx.state.incidents.org.statuses })),
  },
  {
    method: 'GET',
    url: '/v1/incident_statuses/:id',
    handle: (ctx, req) =>
      apiKeyRequest(ctx, req, 'incident_statuses.view', () => {
        const status = ctx.state.incidents.status(req.params['id'] ?? '');
        return status ? ok({ incident_status: status }) : notFound('No incident status with this ID exists');
      }),
  },
  {
    method: 'GET',
    url: '/v1/severities',
    handle: (ctx, req) => apiKeyRequest(ctx, req, 'severities.view', () => ok({ severities: ctx.state.incidents.org.severities })),
  },
  {
    method: 'GET',
    url: '/v1/severities/:id',
    handle: (ctx, req) =>
      apiKeyRequest(ctx, req, 'severities.view', () => {
        const severity = ctx.state.incidents.severity(req.params['id'] ?? '');
        return severity ? ok({ severity }) : notFound('No severity with this ID exists');
      }),
  },
];
