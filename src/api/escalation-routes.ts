import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listEscalationsByStatus } from '../storage/escalations-repo.ts';
import { badRequest } from './errors.ts';
import type { Gateway } from './gateway.ts';
import { escalationView } from './views.ts';

const escalationQuery = z
  .object({
    status: z.enum(['pending', 'fired', 'cancelled']).default('pending'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

/**
 * `GET /api/v1/escalations?status=pending&limit=`: escalation steps across alerts — by default those still to come,
 * soonest due first, each with its alert's id, title and state (what the web UI's Escalations page lists).
 */
export function registerEscalationRoutes(api: FastifyInstance, gw: Gateway): void {
  api.get('/escalations', async (request) => {
    const q = escalationQuery.safeParse(request.query);
    if (!q.success) throw badRequest(q.error.issues.map((i) => ({ field: i.path.join('.') || '(query)', message: i.code === 'unrecognized_keys' ? `unknown parameter(s) ${i.keys.join(', ')}` : i.message })));
    const rows = await listEscalationsByStatus(gw.db, q.data.status, q.data.limit);
    return { escalations: rows.map((e) => ({ alert_id: e.alert_id, alert_title: e.alert_title, alert_state: e.alert_state, ...escalationView(e) })) };
  });
}
