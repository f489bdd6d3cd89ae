const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export interface OncallChoice {
  /** What the caller asked for, when it said something readable. */
  enable?: boolean;
  warning?: string;
}

/**
 * Versus' per-request `?oncall_enable=true|false`, kept on each alert of the request (metadata `oncall_enable`): with
 * false, an escalation route sends only its first step (core/ingest.ts), and routes can match on it.
 */
export function oncallFromQuery(query: Readonly<Record<string, string | undefined>>): OncallChoice {
  const raw = query.oncall_enable?.trim();
  if (raw === undefined || raw === '') return {};
  const word = raw.toLowerCase();
  if (TRUE.has(word)) return { enable: true };
  if (FALSE.has(word)) return { enable: false };
  return { warning: 'oncall_enable is neither true nor false: ignored' };
}
