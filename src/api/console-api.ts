import type { FastifyInstance } from 'fastify';
import { adminHook } from './admin-auth.ts';
import { registerDestinationRoutes } from './destination-routes.ts';
import { registerEventRoutes } from './events-routes.ts';
import { registerEscalationRoutes } from './escalation-routes.ts';
import type { Gateway } from './gateway.ts';
import { registerOverviewRoutes } from './overview-routes.ts';
import { registerRouteTreeRoutes } from './route-tree-routes.ts';
import { registerSessionRoutes } from './session-routes.ts';

/**
 * The parts of `/api/v1` the web UI added: sessions, the overview, connection tests, the route tree, live events, escalations in progress.
 * Same authentication as the rest of the management API (admin-auth.ts); the CLI and scripts may use them too.
 */
export function registerConsoleApi(app: FastifyInstance, gw: Gateway): void {
  registerSessionRoutes(app, gw);
  app.register(
    async (api) => {
      api.addHook('onRequest', adminHook(gw));
      registerOverviewRoutes(api, gw);
      registerDestinationRoutes(api, gw);
      registerRouteTreeRoutes(api, gw);
      registerEventRoutes(api, gw);
      registerEscalationRoutes(api, gw);
    },
    { prefix: '/api/v1' },
  );
}
