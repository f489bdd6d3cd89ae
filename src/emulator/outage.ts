/**
 * incident.io down for a while, then back by itself. Two ways to be down:
 * - `status`: every emulated API request (/v1, /v2) is answered with a 5xx (503 unless told), before
 *   anything else looks at it, so nothing changes state; /_emulator keeps working.
 * - `refuse`: the server stops listening and closes every open connection, so callers get connection
 *   refused (and in-flight requests a reset). /_emulator is down too: the outage ends on its own timer.
 * Queued faults are not consumed while down.
 */
import { z } from 'zod';
import type { Clock } from '../domain/clock.ts';

export const outageSpecSchema = z
  .object({
    duration_ms: z.number().int().min(1).max(600_000),
    mode: z.enum(['status', 'refuse']).default('status'),
    status: z.number().int().min(500).max(599).optional(),
    /** Sent verbatim as the Retry-After header of each answer (mode `status`). */
    retry_after: z.union([z.number().int().min(0), z.string().min(1)]).optional(),
  })
  .strict()
  .refine((o) => o.mode === 'status' || (o.status === undefined && o.retry_after === undefined), {
    message: 'status and retry_after apply to mode "status" only: a refused connection has no answer',
  });

export type OutageSpec = z.infer<typeof outageSpecSchema>;

/** What `refuse` needs from the server: stop accepting (and drop open connections), and listen again. */
export interface Listener {
  stop(): void;
  restart(): Promise<void>;
}

export interface OutageView {
  mode: OutageSpec['mode'];
  status?: number;
  started_at: string;
  ends_at: string;
}

export class Outage {
  private current: { spec: OutageSpec; startedAt: number; endsAt: number; timer: NodeJS.Timeout } | undefined;
  /** Settles when the last `refuse` outage has finished listening again. */
  private restarting: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    private readonly listener: Listener,
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  /**
   * Starts an outage, replacing one in progress. A `refuse` outage stops listening at once, unless
   * `deferStop` (the caller answers first, over a connection the stop would close, then calls stopListening).
   */
  async start(spec: OutageSpec, options: { deferStop?: boolean } = {}): Promise<OutageView> {
    await this.end();
    const startedAt = this.clock.now();
    const timer = setTimeout(() => void this.end(), spec.duration_ms);
    this.current = { spec, startedAt, endsAt: startedAt + spec.duration_ms, timer };
    if (!options.deferStop) this.stopListening();
    return this.view()!;
  }

  /** For a `refuse` outage still in progress: stop listening and close open connections. */
  stopListening(): void {
    if (this.current?.spec.mode === 'refuse') this.listener.stop();
  }

  /** Back up now (also what the timer does). Resolves once the server listens again. */
  end(): Promise<void> {
    const current = this.current;
    if (current) {
      this.current = undefined;
      clearTimeout(current.timer);
      if (current.spec.mode === 'refuse') this.restarting = this.listener.restart().catch(this.onError);
    }
    return this.restarting;
  }

  /** During a `status` outage, what every emulated API request is answered with. */
  answer(): { status: number; retry_after?: number | string } | undefined {
    const spec = this.current?.spec;
    if (!spec || spec.mode !== 'status') return undefined;
    return { status: spec.status ?? 503, ...(spec.retry_after !== undefined ? { retry_after: spec.retry_after } : {}) };
  }

  view(): OutageView | null {
    if (!this.current) return null;
    const { spec, startedAt, endsAt } = this.current;
    return {
      mode: spec.mode,
      ...(spec.mode === 'status' ? { status: spec.status ?? 503 } : {}),
      started_at: new Date(startedAt).toISOString(),
      ends_at: new Date(endsAt).toISOString(),
    };
  }
}
