import type { Severity } from '../../domain/alert.ts';

/** dbt statuses that fire an alert; each maps to a default severity that `options.severity` can override. */
export const FIRING_STATUSES = ['fail', 'error', 'warn', 'runtime error', 'partial success'] as const;
export type FiringStatus = (typeof FIRING_STATUSES)[number];

const DEFAULT_SEVERITY: Record<FiringStatus, Severity> = {
  fail: 'error',
  error: 'error',
  'runtime error': 'error',
  warn: 'warning',
  // A microbatch model with some failed batches: data is incomplete, not absent.
  'partial success': 'warning',
};

export type Outcome = { action: 'fire'; status: FiringStatus; severity: Severity } | { action: 'resolve' } | { action: 'ignore' };

/**
 * Every failing node fires and every passing node resolves. `skipped`, `no-op` and any status a future dbt invents
 * change nothing: a skipped test says nothing about the data, so it must neither open nor close an alert.
 */
export function outcomeOf(status: string, overrides: Partial<Record<FiringStatus, Severity>> = {}): Outcome {
  if (status === 'pass' || status === 'success') return { action: 'resolve' };
  if ((FIRING_STATUSES as readonly string[]).includes(status)) {
    const s = status as FiringStatus;
    return { action: 'fire', status: s, severity: overrides[s] ?? DEFAULT_SEVERITY[s] };
  }
  return { action: 'ignore' };
}
