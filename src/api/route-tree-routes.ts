import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { routeTree, testLabels, testRoutes } from '../cli/routes-explain.ts';
import { badRequest } from './errors.ts';
import type { Gateway } from './gateway.ts';

const testBody = z
  .object({
    /** `{"team": "payments", "severity": "critical"}`; a list gives a label several values. */
    labels: z.record(z.union([z.string(), z.array(z.string()).min(1)])).default({}),
    source: z.string().min(1).optional(),
  })
  .strict();

/**
 * `GET /api/v1/routes` and `POST /api/v1/routes/test`: `tocsin routes show` and `tocsin routes test` against the
 * config this instance runs, with the same pure functions the gateway routes with (cli/routes-explain.ts).
 */
export function registerRouteTreeRoutes(api: FastifyInstance, gw: Gateway): void {
  api.get('/routes', async () => {
    const config = gw.config();
    const tree = routeTree(config.routes);
    return { routes: tree.routes, default_route: tree.defaultRoute, destinations: [...config.destinations.values()].map((d) => ({ name: d.name, type: d.type })) };
  });

  // POST although it changes nothing: the labels are a body, and a query string cannot repeat a name (server.ts).
  api.post('/routes/test', async (request) => {
    const b = testBody.safeParse(request.body ?? {});
    if (!b.success) throw badRequest(b.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })));
    const args = Object.entries(b.data.labels).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`));
    const input = testLabels(args, b.data.source);
    if (!input.ok) throw badRequest([{ field: 'labels', message: input.message }]);
    const config = gw.config();
    const source = input.labels.source?.[0];
    if (source !== undefined && !config.sources.has(source)) input.warnings.push(`source "${source}" is not configured (configured: ${[...config.sources.keys()].join(', ') || 'none'})`);
    const result = testRoutes(config.routes, input.labels);
    return { labels: input.labels, matched_routes: result.matched, destinations: result.destinations, routed: result.destinations.length > 0, warnings: input.warnings };
  });
}
