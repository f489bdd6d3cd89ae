import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { badRequest } from '../api/errors.ts';
import type { Gateway } from '../api/gateway.ts';
import { recentRuns } from './runs-repo.ts';
import { queryView } from './view.ts';

const listQuery = z.object({ runs: z.coerce.number().int().min(0).max(100).default(10) }).strict();

/**
 * `GET /api/v1/queries?runs=10`: each scheduled alert query with its schedule, next run and last runs (start,
 * duration, rows, outcome, error). Registered inside the admin-authenticated `/api/v1` scope.
 */
export function registerQueryRoutes(api: FastifyInstance, gw: Gateway): void {
  api.get('/queries', async (request) => {
    const q = listQuery.safeParse(request.query);
    if (!q.success) throw badRequest(q.error.issues.map((i) => ({ field: i.path.join('.') || '(query)', message: i.code === 'unrecognized_keys' ? `unknown parameter(s) ${i.keys.join(', ')}` : i.message })));
    const { databases, queries } = gw.config().queries;
    const now = Date.now();
    const out = [];
    for (const spec of queries) out.push(queryView(spec, databases.get(spec.database), await recentRuns(gw.db, spec.name, Math.max(1, q.data.runs)), now));
    // runs=0 asks for the summary alone (the newest run was still read: the next run depends on it).
    if (q.data.runs === 0) for (const v of out) v.last_runs = [];
    return { queries: out };
  });
}
