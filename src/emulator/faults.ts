/**
 * Chaos controls: injected faults for the next N matching requests, and a pause gate that holds
 * requests unanswered. A faulted request is answered (or dropped) before the emulator looks at it,
 * so it never changes state and never takes a rate-limit token — except `cut_response`, which lets
 * the request take effect and then breaks its answer off (an answer lost after the fact), and a bare
 * `latency_ms`, which delays a request that is then handled normally.
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
    /**
     * Handle the request (it takes effect), send the status line, headers and half the body, then
     * reset the connection: the caller sees an answer begin and break off.
     */
    cut_response: z.boolean().optional(),
    /** Replaces the incident.io error envelope: any JSON, or a string sent as text/plain. */
    body: z.unknown().optional(),
  })
  .strict()
  .refine((f) => f.status !== undefined || f.latency_ms !== undefined || f.drop_connection === true || f.cut_response === true, {
    message: 'a fault needs at least one of status, latency_ms, drop_connection or cut_response',
  })
  .refine((f) => [f.status !== undefined, f.drop_connection === true, f.cut_response === true].filter(Boolean).length <= 1, {
    message: 'status, drop_connection and cut_response exclude each other',
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
  if (fault.cut_response) parts.push('response cut');
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
