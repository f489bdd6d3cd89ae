/**
 * Which incident status changes the edit action accepts, by status category (CONTRACT.md §2):
 * moves within a category are fine; active (live) or triage may go to post-incident (learning) or
 * closed; post-incident may close; going straight to closed skips the post-incident flow and needs
 * the `post_incident_flow_opt_out` permission.
 *
 * Emulator choices where the contract is silent: triage may be accepted (→ live) or declined;
 * nothing moves back to triage; learning, closed and declined incidents are never re-opened
 * (→ live) through the API — a re-firing alert is a new incident with a new idempotency key.
 */
import type { StatusCategory } from './org.ts';

export type TransitionVerdict = 'allowed' | 'needs_opt_out' | 'forbidden';

const ALLOWED: Partial<Record<StatusCategory, readonly StatusCategory[]>> = {
  triage: ['live', 'learning', 'declined'],
  live: ['learning'],
  learning: ['closed'],
};

export function transitionVerdict(from: StatusCategory, to: StatusCategory): TransitionVerdict {
  if (from === to) return 'allowed';
  if (ALLOWED[from]?.includes(to)) return 'allowed';
  if (to === 'closed' && (from === 'live' || from === 'triage')) return 'needs_opt_out';
  return 'forbidden';
}
