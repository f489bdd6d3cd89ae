/**
 * Chaos controls: injected faults for the next N matching requests, and a pause gate that holds
 * requests unanswered. A faulted request is answered (or dropped) before the emulator looks at it,
 * so it never changes state and never takes a rate-limit token.
 */
import { z } from 'zod';

export const faultSpecSchema = z
  .object({
    path_prefix: z
      .string()
      .startsWith('/')
      .refine((p) => !p.startsWith('/_emulator'), 'faults apply to the emulated API (/v1, /v2), not to /_emulator'),
    count: z.number().int().min(1).default(1),
    status: z.number().int().min(100).max(599).optional(),
    /** Sent verbatim as the Retry-After header: seconds, or an HTTP date, to test both forms. */
    retry_after: z.union([z.number().int().min(0), z.string().min(1)]).optional(),
    latency_ms: z.number().int().min(0).max(600_000).optional(),
    drop_connection: z.boolean().optional(),
    /** Replaces the incident.io error envelope: any JSON, or a string sent as text/plain. */
    body: z.unknown().optional(),
  })
  .strict()
  .refine((f) => f.status !== undefined || f.latency_ms !== undefined || f.drop_connection === true, {
    message: 'a fault needs at least one of status, latency_ms or drop_connection',
  })
  .refine((f) => !(f.status !== undefined && f.drop_connection === true), {
    message: 'status and drop_connection exclude each other',
  });

export type FaultSpec = z.infer<typeof faultSpecSchema>;

export interface Fault extends FaultSpec {
  id: number;
  remaining: number;
}

export class Faults {
  private faults: Fault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, id: this.nextId++, remaining: spec.count };
    this.faults.push(fault);
    return fault;
  }

  /** The oldest fault matching `path` (no query string), counted down; undefined when none. */
  take(path: string): Fault | undefined {
    const fault = this.faults.find((f) => path.startsWith(f.path_prefix));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }

  list(): Fault[] {
    return [...this.faults];
  }

  clear(): void {
    this.faults = [];
  }
}

export function describeFault(fault: Fault): string {
  const parts = [`#${fault.id}`];
  if (fault.latency_ms !== undefined) parts.push(`latency ${fault.latency_ms}ms`);
  if (fault.status !== undefined) parts.push(`status ${fault.status}`);
  if (fault.drop_connection) parts.push('dropped connection');
  return parts.join(', ');
}

/** While paused, requests wait at the gate; resume lets every waiting request through, in order. */
export class PauseGate {
  private waiters: (() => void)[] = [];
  paused = false;

  get waiting(): number {
    return this.waiters.length;
  }

  wait(): Promise<void> | undefined {
    if (!this.paused) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const release of waiters) release();
  }
}
