const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export interface OncallChoice {
  /** What the caller asked for, when it said something readable. */
  enable?: boolean;
  /** `?oncall_wait_minutes=`: minutes to wait for an acknowledgement before the on-call step (0: at once). */
  waitMinutes?: number;
  warning?: string;
}

/** A week: Versus takes any number; a longer wait is a typo rather than an escalation policy. */
const MAX_WAIT_MINUTES = 7 * 24 * 60;

/**
 * Versus' per-request `?oncall_enable=true|false` and `?oncall_wait_minutes=N`, kept on each alert of the request
 * (metadata `oncall_enable`, `oncall_wait_minutes`): with false, an escalation route sends only its first step; a wait
 * moves the escalation's first later step (the on-call page) to N minutes, later steps keeping their spacing
 * (core/escalate.ts). Routes can match on both.
 */
export function oncallFromQuery(query: Readonly<Record<string, string | undefined>>): OncallChoice {
  const out: OncallChoice = {};
  const warnings: string[] = [];
  const raw = query.oncall_enable?.trim();
  if (raw !== undefined && raw !== '') {
    const word = raw.toLowerCase();
    if (TRUE.has(word)) out.enable = true;
    else if (FALSE.has(word)) out.enable = false;
    else warnings.push('oncall_enable is neither true nor false: ignored');
  }
  const wait = query.oncall_wait_minutes?.trim();
  if (wait !== undefined && wait !== '') {
    const n = /^\d+(\.\d+)?$/.test(wait) ? Number(wait) : NaN;
    if (Number.isFinite(n) && n <= MAX_WAIT_MINUTES) out.waitMinutes = n;
    else warnings.push(`oncall_wait_minutes must be a number of minutes from 0 to ${MAX_WAIT_MINUTES}: ignored (the route's escalation times apply)`);
  }
  if (warnings.length) out.warning = warnings.join('; ');
  return out;
}
