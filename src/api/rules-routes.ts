import type { FastifyInstance } from 'fastify';
import { listAlerts } from '../storage/alerts-repo.ts';
import { isLogsSource } from '../sources/logs/logs.ts';
import { adminHook } from './admin-auth.ts';
import type { Gateway } from './gateway.ts';
import { logRulesOf, stopLogRules } from './logs-ingest.ts';

/** Active alerts counted per source at most this many (a rule with more groups than that shows the cap). */
const MAX_COUNTED = 10_000;

/** How many alerts of each rule of `source` are open: a rule's alerts are keyed `<rule>` or `<rule>:<group>`. */
async function activeByRule(gw: Gateway, source: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const state of ['firing', 'acknowledged'] as const) {
    for (const a of await listAlerts(gw.db, { state, source, limit: MAX_COUNTED })) {
      const rule = a.dedup_key.split(':', 1)[0]!;
      out.set(rule, (out.get(rule) ?? 0) + 1);
    }
  }
  return out;
}

/**
 * `GET /api/v1/rules`: every rule of every logs source with its matches since this process started (in memory: each
 * instance counts what it received), its last match, and its open alerts (from the database, shared by instances).
 * Admin authentication as the rest of `/api/v1`. The logs engine is stopped with the server: what it holds unsent goes
 * out as one last update per alert.
 */
export function registerRulesRoutes(app: FastifyInstance, gw: Gateway): void {
  app.addHook('onClose', async () => stopLogRules(gw));
  app.register(
    async (api) => {
      api.addHook('onRequest', adminHook(gw));
      api.get('/rules', async (request) => {
        const engine = logRulesOf(gw, request.server.log);
        const rules = [];
        for (const source of gw.config().sources.values()) {
          if (!isLogsSource(source)) continue;
          const active = await activeByRule(gw, source.name);
          for (const r of source.options.rules) {
            const s = engine.stat(source.name, r.name);
            rules.push({
              source: source.name,
              name: r.name,
              query: r.query,
              matched_total: s.matched,
              alerts_active: active.get(r.name) ?? 0,
              last_match_at: s.lastMatchAt === null ? null : new Date(s.lastMatchAt).toISOString(),
            });
          }
        }
        return { rules };
      });
    },
    { prefix: '/api/v1' },
  );
}
