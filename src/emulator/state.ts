/**
 * The emulated incident.io organisation, in memory: alert sources with their secret tokens, API keys
 * with their scopes, alerts, incidents, statuses and severities. No I/O; clock and generators are
 * injected so tests can pin them.
 */
import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import type { Clock } from '../domain/clock.ts';
import { AlertStore } from './alert-store.ts';
import { IncidentStore } from './incident-store.ts';
import { DEFAULT_SEVERITIES, DEFAULT_STATUSES } from './org.ts';

/**
 * Scopes the emulator checks. The first five are the `x-rbac-scopes` of the operations in the
 * vendored schema. The spec declares none for the edit action, so `incidents.edit` is the
 * emulator's name for incident.io's "edit incidents" permission, and `post_incident_flow_opt_out`
 * stands for the role that may close an incident without its post-incident flow.
 */
export const ALL_SCOPES = [
  'alerts.view',
  'incidents.create',
  'incidents.view',
  'incident_statuses.view',
  'severities.view',
  'incidents.edit',
  'post_incident_flow_opt_out',
] as const;

export interface AlertSource {
  id: string;
  token: string;
  name: string;
}

export interface ApiKey {
  /** Shown as the incident creator's `api_key.id`; never the secret. */
  id: string;
  key: string;
  name: string;
  scopes: string[];
}

export type Added<T> = { ok: true; value: T } | { ok: false; message: string };

export interface StateDeps {
  clock: Clock;
  newId?: () => string;
  newSecret?: () => string;
}

export class EmulatorState {
  readonly alerts: AlertStore;
  readonly incidents: IncidentStore;
  private readonly newId: () => string;
  private readonly newSecret: () => string;
  private sources = new Map<string, AlertSource>();
  private sourcesByToken = new Map<string, AlertSource>();
  private keys = new Map<string, ApiKey>();

  constructor(deps: StateDeps) {
    const ulid = monotonicFactory();
    this.newId = deps.newId ?? (() => ulid(deps.clock.now()));
    this.newSecret = deps.newSecret ?? (() => randomBytes(24).toString('hex'));
    this.alerts = new AlertStore(deps.clock, this.newId);
    this.incidents = new IncidentStore(deps.clock, this.newId, {
      statuses: DEFAULT_STATUSES,
      severities: DEFAULT_SEVERITIES,
    });
  }

  addAlertSource(input: { id?: string; token?: string; name?: string } = {}): Added<AlertSource> {
    const id = input.id ?? this.newId();
    const token = input.token ?? this.newSecret();
    if (!id || !token) return { ok: false, message: 'alert source id and token must not be empty' };
    if (this.sources.has(id)) return { ok: false, message: `an alert source with id '${id}' already exists` };
    if (this.isSecretTaken(token)) return { ok: false, message: 'that token is already used by another alert source or API key' };
    const source: AlertSource = { id, token, name: input.name ?? `HTTP alert source ${this.sources.size + 1}` };
    this.sources.set(id, source);
    this.sourcesByToken.set(token, source);
    return { ok: true, value: source };
  }

  addApiKey(input: { key?: string; name?: string; scopes?: string[] } = {}): Added<ApiKey> {
    const key = input.key ?? `inc_emu_${this.newSecret()}`;
    if (!key) return { ok: false, message: 'API key must not be empty' };
    if (this.isSecretTaken(key)) return { ok: false, message: 'that key is already used by another API key or alert source' };
    const apiKey: ApiKey = {
      id: this.newId(),
      key,
      name: input.name ?? `API key ${this.keys.size + 1}`,
      scopes: [...(input.scopes ?? ALL_SCOPES)],
    };
    this.keys.set(key, apiKey);
    return { ok: true, value: apiKey };
  }

  alertSource(id: string): AlertSource | undefined {
    return this.sources.get(id);
  }

  alertSourceByToken(token: string): AlertSource | undefined {
    return this.sourcesByToken.get(token);
  }

  apiKey(key: string): ApiKey | undefined {
    return this.keys.get(key);
  }

  alertSources(): AlertSource[] {
    return [...this.sources.values()];
  }

  apiKeys(): ApiKey[] {
    return [...this.keys.values()];
  }

  /** Forgets alerts and incidents; alert sources and API keys stay. */
  reset(): void {
    this.alerts.clear();
    this.incidents.clear();
  }

  private isSecretTaken(secret: string): boolean {
    return this.sourcesByToken.has(secret) || this.keys.has(secret);
  }
}
