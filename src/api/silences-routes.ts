import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { FieldProblem } from '../domain/errors.ts';
import { allMatch, parseMatchers } from '../mute/matchers.ts';
import { silenceView, type MuteService } from '../mute/service.ts';
import { compileMatcher, type Matcher } from '../routing/matchers.ts';
import type { Labels } from '../domain/labels.ts';
import type { SilenceRow } from '../storage/schema.ts';
import { activeAlertLabels } from '../storage/silences-repo.ts';
import { adminHook } from './admin-auth.ts';
import { ApiError, badRequest, notFound } from './errors.ts';
import type { Gateway } from './gateway.ts';

/** A matcher as Alertmanager's API v2 sends it, or as text (`alertname=~"Disk.*"`). */
const matcherObject = z
  .object({ name: z.string().min(1), value: z.string(), isRegex: z.boolean().default(false), isEqual: z.boolean().default(true) })
  .strict();
const matchersField = z.union([z.string().min(1), z.array(z.union([z.string().min(1), matcherObject])).min(1, 'give at least one matcher')]);

/** Like amtool's: seconds for a short test, up to days (a week-long maintenance is 7d). */
const duration = /^(\d+)(s|m|h|d)$/;
const silenceBody = z
  .object({
    matchers: matchersField,
    starts_at: z.string().datetime({ offset: true }).optional(),
    ends_at: z.string().datetime({ offset: true }).optional(),
    /** Instead of ends_at: how long from starts_at, e.g. 2h. */
    duration: z.string().regex(duration, 'must be a duration like 90s, 30m, 2h, 1d').optional(),
    created_by: z.string().trim().min(1, 'say who creates the silence').max(200),
    comment: z.string().trim().min(1, 'say why (a ticket, a maintenance)').max(2000),
  })
  .strict();

const previewBody = z.object({ matchers: matchersField }).strict();
const listQuery = z.object({ state: z.enum(['active', 'pending', 'expired']).optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) }).strict();

const problemsOf = (e: z.ZodError): FieldProblem[] =>
  e.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.code === 'unrecognized_keys' ? `unknown key(s) ${i.keys.join(', ')}` : i.message }));

/** The matchers of a body, compiled; a 400 naming the field otherwise. */
function matchersOf(raw: z.infer<typeof matchersField>): Matcher[] {
  const texts: string[] = [];
  const out: Matcher[] = [];
  for (const [i, m] of (typeof raw === 'string' ? [raw] : raw).entries()) {
    if (typeof m === 'string') {
      texts.push(m);
      continue;
    }
    const op = m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=';
    try {
      out.push(compileMatcher(m.name, op, m.value));
    } catch (e) {
      throw badRequest([{ field: `matchers.${i}.value`, message: `invalid regular expression: ${(e as Error).message}` }]);
    }
  }
  if (texts.length) {
    const parsed = parseMatchers(texts);
    if (!parsed.ok) throw badRequest([{ field: 'matchers', message: parsed.message }]);
    out.push(...parsed.matchers);
  }
  if (!out.length) throw badRequest([{ field: 'matchers', message: 'give at least one matcher' }]);
  // Alertmanager's rule: a silence must not match every alert (each of its matchers would match one with no labels).
  if (allMatch(out, {})) throw badRequest([{ field: 'matchers', message: 'these matchers match every alert: at least one must need a label value (e.g. alertname="DiskFull")' }]);
  return out;
}

/** Active alerts read at most to count what each silence matches (the preview's bound). */
const COUNT_SCAN = 100_000;

/**
 * How many active alerts each silence not yet expired matches now (the web UI's list): one read of the active alerts
 * for the whole page, not one per silence. An expired silence gets null: it holds nothing.
 */
async function matchingCounts(gw: Gateway, rows: readonly SilenceRow[], now: number): Promise<Map<string, number>> {
  const live = rows.filter((r) => silenceView(r, now).state !== 'expired');
  const out = new Map<string, number>();
  if (!live.length) return out;
  const compiled = live.map((r) => ({ id: r.id, matchers: (JSON.parse(r.matchers) as { label: string; op: string; value: string }[]).map((m) => compileMatcher(m.label, m.op as Matcher['op'], m.value)) }));
  for (const c of compiled) out.set(c.id, 0);
  for (const a of await activeAlertLabels(gw.db, COUNT_SCAN)) {
    const labels = JSON.parse(a.labels) as Labels;
    for (const c of compiled) if (allMatch(c.matchers, labels)) out.set(c.id, out.get(c.id)! + 1);
  }
  return out;
}

const withCount = (view: ReturnType<typeof silenceView>, counts: Map<string, number>) => ({ ...view, matching_alerts: counts.get(view.id) ?? null });

const serviceOf = (gw: Gateway): MuteService => {
  if (!gw.mute) throw new ApiError(503, 'unavailable', 'silences are not available yet: tocsin is starting');
  return gw.mute;
};

/**
 * `/api/v1/silences`: Alertmanager-style silences (docs/silences.md). POST creates (400 naming the field), GET lists
 * by state, GET /:id shows one, DELETE expires it (kept for the record), POST /preview lists the active alerts some
 * matchers would silence.
 */
export function registerSilenceRoutes(app: FastifyInstance, gw: Gateway): void {
  app.register(
    async (api) => {
      api.addHook('onRequest', adminHook(gw));

      api.post('/silences', async (request, reply) => {
        const mute = serviceOf(gw);
        const b = silenceBody.safeParse(request.body ?? {});
        if (!b.success) throw badRequest(problemsOf(b.error));
        const matchers = matchersOf(b.data.matchers);
        const now = mute.now();
        const startsAt = b.data.starts_at ? Date.parse(b.data.starts_at) : now;
        if (b.data.ends_at && b.data.duration) throw badRequest([{ field: 'duration', message: 'give ends_at or duration, not both' }]);
        let endsAt: number;
        if (b.data.ends_at) endsAt = Date.parse(b.data.ends_at);
        else if (b.data.duration) {
          const [, n, unit] = duration.exec(b.data.duration)!;
          endsAt = startsAt + Number(n) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'm'];
        } else throw badRequest([{ field: 'ends_at', message: 'say when the silence ends (ends_at, or duration such as 2h)' }]);
        if (endsAt <= startsAt) throw badRequest([{ field: 'ends_at', message: 'must be after starts_at' }]);
        if (endsAt <= now) throw badRequest([{ field: 'ends_at', message: 'is in the past: the silence would never be in force' }]);
        const row = await mute.create({ matchers, startsAt, endsAt, createdBy: b.data.created_by, comment: b.data.comment });
        return reply.code(201).send({ silence: silenceView(row, mute.now()) });
      });

      api.post('/silences/preview', async (request) => {
        const mute = serviceOf(gw);
        const b = previewBody.safeParse(request.body ?? {});
        if (!b.success) throw badRequest(problemsOf(b.error));
        const { alerts, truncated } = await mute.preview(matchersOf(b.data.matchers));
        return { alerts, truncated };
      });

      api.get('/silences', async (request) => {
        const mute = serviceOf(gw);
        const q = listQuery.safeParse(request.query);
        if (!q.success) throw badRequest(problemsOf(q.error));
        const rows = await mute.list(q.data.state, q.data.limit);
        const now = mute.now();
        const counts = await matchingCounts(gw, rows, now);
        return { silences: rows.map((r) => withCount(silenceView(r, now), counts)) };
      });

      api.get<{ Params: { id: string } }>('/silences/:id', async (request) => {
        const mute = serviceOf(gw);
        const row = await mute.get(request.params.id);
        if (!row) throw notFound(`silence ${request.params.id}`);
        const now = mute.now();
        return { silence: withCount(silenceView(row, now), await matchingCounts(gw, [row], now)) };
      });

      api.delete<{ Params: { id: string } }>('/silences/:id', async (request) => {
        const mute = serviceOf(gw);
        const row = await mute.expire(request.params.id);
        if (!row) throw notFound(`silence ${request.params.id}`);
        return { silence: silenceView(row, mute.now()) };
      });
    },
    { prefix: '/api/v1' },
  );
}
