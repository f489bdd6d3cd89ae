/**
 * Acknowledge and unacknowledge, from the API, the CLI or a signed link. Each is one transaction on the alert row
 * (locked): the state change and its transition row, the escalation steps cancelled (ack) or re-armed (unack), and
 * the new state queued for the episode's destinations that show state in place (Destination.updatesOnAcknowledge).
 * incident.io destinations get nothing: an alert event knows only firing and resolved.
 */
import type { Clock } from '../domain/clock.ts';
import { changeState } from '../core/manage.ts';
import { enqueueFor, readList, toPayload } from '../core/outbox.ts';
import type { DeliveryPayload } from '../destinations/types.ts';
import { findAlertForUpdate, insertTransition, updateAlert } from '../storage/alerts-repo.ts';
import { rearmEscalations } from '../storage/escalations-repo.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { AlertRow, Tx } from '../storage/schema.ts';
import { verifyAck, type AckLinkSettings, type VerifyOutcome } from './token.ts';

export interface AckDeps {
  commits: GroupCommit;
  clock: Clock;
  /** Destination names in the config (others get `orphaned` rows). */
  configured: () => ReadonlySet<string>;
  /** Destinations whose messages show the acknowledged state (chat, email, webhook). */
  updatesOnAcknowledge: () => ReadonlySet<string>;
  wake: (destinations: Iterable<string>) => void;
}

/** Who acted: `by` as given (a name from the link's form, the CLI's --by, the API body), and through what. */
export interface Actor {
  by?: string | undefined;
  via: 'api' | 'link';
}

export type AckOutcome =
  | { ok: true; alert: AlertRow; changed: boolean }
  | { ok: false; status: 404 | 409 | 410; code: 'not_found' | 'conflict' | 'gone'; message: string; alert?: AlertRow };

/** A name for the record: one line, no control characters, at most 100 characters; blank means not given. */
export function cleanBy(by: unknown): string | undefined {
  if (typeof by !== 'string') return undefined;
  // Cut by code point, so no surrogate pair is split.
  const s = [...by.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ').trim()].slice(0, 100).join('').trim();
  return s || undefined;
}

/** The transition's actor: the person when named, else how it came (`api`, `link`). */
const actorOf = (a: Actor) => cleanBy(a.by) ?? a.via;

async function notifyState(tx: Tx, deps: AckDeps, row: AlertRow, now: number, acknowledged?: DeliveryPayload['acknowledged']): Promise<string[]> {
  const updates = deps.updatesOnAcknowledge();
  const configured = deps.configured();
  const to = readList(row.routed_to).filter((d) => updates.has(d));
  if (!to.length) return [];
  const p: DeliveryPayload = toPayload(row, 'firing', now);
  if (acknowledged) p.acknowledged = acknowledged;
  else delete p.acknowledged;
  // Through the outbox like any state: coalesced into a pending row, held while a silence mutes the destination.
  await enqueueFor(tx, row, to, now, configured, { payload: JSON.stringify(p) });
  return to;
}

/**
 * `episode`: a link names the episode it was sent for; acknowledging a later one with it would silence an alert
 * nobody has seen yet (410). Acknowledging an acknowledged alert changes nothing and is not an error.
 */
export async function acknowledge(deps: AckDeps, id: string, actor: Actor, episode?: number): Promise<AckOutcome> {
  const r = await deps.commits.run(async (tx): Promise<AckOutcome & { wake?: string[] }> => {
    const alert = await findAlertForUpdate(tx, id);
    if (!alert) return { ok: false, status: 404, code: 'not_found', message: `alert ${id} not found` };
    if (episode !== undefined && alert.episode !== episode) {
      return { ok: false, status: 410, code: 'gone', message: `this link was for episode ${episode} of the alert, which has ended`, alert };
    }
    if (alert.state === 'resolved') return { ok: false, status: 409, code: 'conflict', message: `alert ${id} is already resolved`, alert };
    if (alert.state === 'acknowledged') return { ok: true, alert, changed: false };
    const now = deps.clock.now();
    const by = actorOf(actor);
    const { row } = await changeState(tx, alert, 'acknowledge', now, deps.configured(), by, { via: actor.via });
    const wake = await notifyState(tx, deps, row, now, { at: now, by });
    return { ok: true, alert: row, changed: true, wake };
  });
  if (!r.ok) return r;
  if (r.wake?.length) deps.wake(r.wake);
  return { ok: true, alert: r.alert, changed: r.changed };
}

/**
 * Takes an acknowledgement back: firing again, and the escalation steps the acknowledgement cancelled are due again
 * (at their time, or now if that has passed). A firing alert is left as it is.
 */
export async function unacknowledge(deps: AckDeps, id: string, actor: Actor): Promise<AckOutcome> {
  const r = await deps.commits.run(async (tx): Promise<AckOutcome & { wake?: string[] }> => {
    const alert = await findAlertForUpdate(tx, id);
    if (!alert) return { ok: false, status: 404, code: 'not_found', message: `alert ${id} not found` };
    if (alert.state === 'resolved') return { ok: false, status: 409, code: 'conflict', message: `alert ${id} is already resolved`, alert };
    if (alert.state === 'firing') return { ok: true, alert, changed: false };
    const now = deps.clock.now();
    const changes = { state: 'firing' as const, acknowledged_at: null, updated_at: now };
    const row: AlertRow = { ...alert, ...changes };
    await updateAlert(tx, alert.id, changes);
    const rearmed = await rearmEscalations(tx, alert.id, alert.episode, now);
    await insertTransition(tx, {
      alert_id: alert.id,
      episode: alert.episode,
      kind: 'unacknowledged',
      from_state: alert.state,
      to_state: 'firing',
      actor: actorOf(actor),
      content: JSON.stringify({ via: actor.via, steps_rearmed: rearmed }),
      at: now,
    });
    const wake = await notifyState(tx, deps, row, now);
    return { ok: true, alert: row, changed: true, wake };
  });
  if (!r.ok) return r;
  if (r.wake?.length) deps.wake(r.wake);
  return { ok: true, alert: r.alert, changed: r.changed };
}

/** What the HTTP layer (gateway.ts) uses: the actions, and the check of a link against the settings in force. */
export interface AckService {
  acknowledge(id: string, actor: Actor, episode?: number): Promise<AckOutcome>;
  unacknowledge(id: string, actor: Actor): Promise<AckOutcome>;
  /** undefined when `ack:` is not configured. */
  verify(token: string): VerifyOutcome | undefined;
}

export function ackService(deps: AckDeps & { settings: () => AckLinkSettings | undefined }): AckService {
  return {
    acknowledge: (id, actor, episode) => acknowledge(deps, id, actor, episode),
    unacknowledge: (id, actor) => unacknowledge(deps, id, actor),
    verify(token) {
      const s = deps.settings();
      return s ? verifyAck(s.secret, token, deps.clock.now()) : undefined;
    },
  };
}
