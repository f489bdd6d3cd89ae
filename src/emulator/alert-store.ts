/**
 * Alerts as incident.io keeps them for HTTP alert sources. Pure: clock and id generator injected.
 *
 * Dedup semantics (CONTRACT.md §1): within one alert source, a firing event whose key matches an
 * active (firing) alert collapses into it; a resolved event resolves it; a resolved event with no
 * active alert is accepted and changes nothing; a firing event after a resolve opens a new alert.
 * incident.io processes events asynchronously; the emulator applies them before answering 202, so
 * the effect is visible at once.
 */
import type { Clock } from '../domain/clock.ts';
import type { JsonObject } from '../domain/alert.ts';

export interface AlertEventInput {
  title: string;
  status: 'firing' | 'resolved';
  deduplication_key: string;
  description?: string;
  metadata?: JsonObject;
  source_url?: string;
}

export interface AlertRecord {
  id: string;
  alert_source_id: string;
  deduplication_key: string;
  status: 'firing' | 'resolved';
  title: string;
  description?: string;
  source_url?: string;
  metadata: JsonObject;
  created_at: string;
  updated_at: string;
  resolved_at?: string;
  /** Events collapsed into this alert, including the one that opened it. */
  events: number;
}

export type EventEffect =
  | { effect: 'alert_created' | 'alert_updated' | 'alert_resolved'; alert: AlertRecord }
  | { effect: 'no_active_alert' };

const activeKey = (sourceId: string, dedupKey: string) => `${sourceId}\u0000${dedupKey}`;

export class AlertStore {
  private alerts: AlertRecord[] = [];
  private byId = new Map<string, AlertRecord>();
  private active = new Map<string, AlertRecord>();

  constructor(
    private readonly clock: Clock,
    private readonly newId: () => string,
  ) {}

  apply(sourceId: string, event: AlertEventInput): EventEffect {
    const now = new Date(this.clock.now()).toISOString();
    const key = activeKey(sourceId, event.deduplication_key);
    const current = this.active.get(key);

    if (event.status === 'resolved') {
      if (!current) return { effect: 'no_active_alert' };
      // A resolve only closes the alert: its content stays what the last firing event said.
      current.status = 'resolved';
      current.resolved_at = now;
      current.updated_at = now;
      current.events += 1;
      this.active.delete(key);
      return { effect: 'alert_resolved', alert: current };
    }

    if (current) {
      // Latest event wins: an optional field left out of a repeat event is cleared, as it would be
      // if incident.io re-derived the alert from the newest payload.
      Object.assign(current, content(event), { updated_at: now, events: current.events + 1 });
      return { effect: 'alert_updated', alert: current };
    }

    const alert: AlertRecord = {
      id: this.newId(),
      alert_source_id: sourceId,
      deduplication_key: event.deduplication_key,
      status: 'firing',
      ...content(event),
      created_at: now,
      updated_at: now,
      events: 1,
    };
    this.alerts.push(alert);
    this.byId.set(alert.id, alert);
    this.active.set(key, alert);
    return { effect: 'alert_created', alert };
  }

  get(id: string): AlertRecord | undefined {
    return this.byId.get(id);
  }

  /** Oldest first. */
  all(): readonly AlertRecord[] {
    return this.alerts;
  }

  clear(): void {
    this.alerts = [];
    this.byId.clear();
    this.active.clear();
  }
}

function content(event: AlertEventInput): Pick<AlertRecord, 'title' | 'description' | 'source_url' | 'metadata'> {
  return {
    title: event.title,
    description: event.description,
    source_url: event.source_url,
    metadata: event.metadata ?? {},
  };
}

/**
 * The public AlertV2 shape. `attributes` come from the alert source's attribute bindings, which the
 * emulator does not model, so they are always empty; the raw metadata is shown by /_emulator/alerts.
 */
export function toAlertV2(alert: AlertRecord): Record<string, unknown> {
  return withoutUndefined({
    id: alert.id,
    alert_source_id: alert.alert_source_id,
    deduplication_key: alert.deduplication_key,
    status: alert.status,
    title: alert.title,
    description: alert.description,
    source_url: alert.source_url,
    attributes: [],
    alert_group_ids: [],
    created_at: alert.created_at,
    updated_at: alert.updated_at,
    resolved_at: alert.resolved_at,
  });
}

export function withoutUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
