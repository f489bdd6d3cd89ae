import type { EventStatus } from '../../domain/alert.ts';

// Words that sources use for "the problem is over" and "the problem is on". Anything else is not guessed.
const RESOLVED = new Set(['resolved', 'resolve', 'ok', 'normal', 'inactive', 'closed', 'recovered', 'cleared']);
const FIRING = new Set(['firing', 'fire', 'alerting', 'alarm', 'active', 'triggered', 'problem', 'open']);

/** A status word as firing/resolved, case-insensitive; undefined when the word says neither. */
export function statusFromWord(word: unknown): EventStatus | undefined {
  if (typeof word !== 'string') return undefined;
  const w = word.trim().toLowerCase();
  if (RESOLVED.has(w)) return 'resolved';
  if (FIRING.has(w)) return 'firing';
  return undefined;
}
