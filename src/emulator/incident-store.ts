/**
 * Incidents created through the v2 API. Pure: clock and id generator injected.
 *
 * Emulator choices: a repeated `idempotency_key` returns the incident it first created, unchanged,
 * whatever the new payload says; references count from INC-1 (again after a reset); custom fields,
 * role assignments, timestamps and incident types are accepted but not modelled (they are noted in
 * the request log and the incident shows none).
 */
import type { Clock } from '../domain/clock.ts';
import { withoutUndefined } from './alert-store.ts';
import { fieldError, type ErrorItem } from './errors.ts';
import { transitionVerdict } from './incident-transitions.ts';
import { DEFAULT_OPEN_STATUS_ID, type IncidentStatus, type SeverityLevel } from './org.ts';

export type IncidentMode = 'standard' | 'retrospective' | 'test' | 'tutorial';

export interface IncidentCreateInput {
  idempotency_key: string;
  visibility: 'public' | 'private';
  name?: string;
  summary?: string;
  mode?: IncidentMode;
  severity_id?: string;
  incident_status_id?: string;
  slack_team_id?: string;
  slack_channel_name_override?: string;
}

export interface IncidentEditInput {
  name?: string;
  summary?: string;
  severity_id?: string;
  incident_status_id?: string;
  call_url?: string;
  slack_channel_name_override?: string;
}

export interface IncidentRecord {
  id: string;
  number: number;
  name: string;
  summary?: string;
  mode: IncidentMode;
  visibility: 'public' | 'private';
  statusId: string;
  severityId?: string;
  callUrl?: string;
  slackChannelNameOverride?: string;
  slackTeamId: string;
  creator: { api_key: { id: string; name: string } };
  idempotencyKey: string;
  createdAt: string;
  updatedAt: string;
}

export interface Org {
  statuses: readonly IncidentStatus[];
  severities: readonly SeverityLevel[];
}

export type CreateOutcome =
  | { ok: true; incident: IncidentRecord; replay: boolean }
  | { ok: false; errors: ErrorItem[] };

export type EditOutcome =
  | { ok: true; incident: IncidentRecord }
  | { ok: false; reason: 'invalid'; errors: ErrorItem[] }
  | { ok: false; reason: 'needs_opt_out'; message: string };

/** The Slack workspace every emulated incident belongs to. */
export const EMULATOR_SLACK_TEAM_ID = 'T0EMULATOR';

export class IncidentStore {
  private incidents: IncidentRecord[] = [];
  private byIdempotencyKey = new Map<string, IncidentRecord>();
  private nextNumber = 1;

  constructor(
    private readonly clock: Clock,
    private readonly newId: () => string,
    readonly org: Org,
  ) {}

  status(id: string): IncidentStatus | undefined {
    return this.org.statuses.find((s) => s.id === id);
  }

  severity(id: string): SeverityLevel | undefined {
    return this.org.severities.find((s) => s.id === id);
  }

  create(input: IncidentCreateInput, creator: IncidentRecord['creator']): CreateOutcome {
    const existing = this.byIdempotencyKey.get(input.idempotency_key);
    if (existing) return { ok: true, incident: existing, replay: true };

    const mode = input.mode ?? 'standard';
    const errors: ErrorItem[] = [];
    if (input.severity_id === undefined) {
      // incident.io's documented 422 example; tutorial incidents are the one kind opened without one.
      if (mode !== 'tutorial') errors.push(fieldError('is_required', 'A severity is required to open an incident', 'severity_id'));
    } else if (!this.severity(input.severity_id)) {
      errors.push(fieldError('not_found', 'No severity with this ID exists in the organisation', 'severity_id'));
    }
    if (input.incident_status_id !== undefined && !this.status(input.incident_status_id)) {
      errors.push(fieldError('not_found', 'No incident status with this ID exists in the organisation', 'incident_status_id'));
    }
    if (errors.length > 0) return { ok: false, errors };

    const now = this.nowIso();
    const incident: IncidentRecord = {
      id: this.newId(),
      number: this.nextNumber++,
      name: input.name ?? '',
      summary: input.summary,
      mode,
      visibility: input.visibility,
      statusId: input.incident_status_id ?? DEFAULT_OPEN_STATUS_ID,
      severityId: input.severity_id,
      slackChannelNameOverride: input.slack_channel_name_override,
      slackTeamId: input.slack_team_id ?? EMULATOR_SLACK_TEAM_ID,
      creator,
      idempotencyKey: input.idempotency_key,
      createdAt: now,
      updatedAt: now,
    };
    this.incidents.push(incident);
    this.byIdempotencyKey.set(incident.idempotencyKey, incident);
    return { ok: true, incident, replay: false };
  }

  /** `id` is the full ID or the numeric part of the reference (`123` for INC-123). */
  find(id: string): IncidentRecord | undefined {
    if (/^[0-9]+$/.test(id)) {
      const number = Number(id);
      return this.incidents.find((i) => i.number === number);
    }
    return this.incidents.find((i) => i.id === id);
  }

  edit(incident: IncidentRecord, changes: IncidentEditInput, canSkipPostIncident: boolean): EditOutcome {
    const errors: ErrorItem[] = [];
    if (changes.severity_id !== undefined && !this.severity(changes.severity_id)) {
      errors.push(fieldError('not_found', 'No severity with this ID exists in the organisation', 'incident.severity_id'));
    }
    if (changes.incident_status_id !== undefined) {
      const to = this.status(changes.incident_status_id);
      const from = this.status(incident.statusId);
      if (!to || !from) {
        errors.push(fieldError('not_found', 'No incident status with this ID exists in the organisation', 'incident.incident_status_id'));
      } else {
        const verdict = transitionVerdict(from.category, to.category);
        if (verdict === 'forbidden') {
          errors.push(
            fieldError(
              'invalid_value',
              `An incident in status '${from.name}' (${from.category}) cannot move to '${to.name}' (${to.category})`,
              'incident.incident_status_id',
            ),
          );
        } else if (verdict === 'needs_opt_out' && !canSkipPostIncident) {
          return {
            ok: false,
            reason: 'needs_opt_out',
            message: `moving from '${from.name}' (${from.category}) straight to '${to.name}' skips the post-incident flow`,
          };
        }
      }
    }
    if (errors.length > 0) return { ok: false, reason: 'invalid', errors };

    const apply: Partial<IncidentRecord> = withoutUndefined({
      name: changes.name,
      summary: changes.summary,
      severityId: changes.severity_id,
      statusId: changes.incident_status_id,
      callUrl: changes.call_url,
      slackChannelNameOverride: changes.slack_channel_name_override,
    });
    Object.assign(incident, apply, { updatedAt: this.nowIso() });
    return { ok: true, incident };
  }

  /** Oldest first. */
  all(): readonly IncidentRecord[] {
    return this.incidents;
  }

  clear(): void {
    this.incidents = [];
    this.byIdempotencyKey.clear();
    this.nextNumber = 1;
  }

  /** The public IncidentV2 shape, with every field the schema requires. */
  view(incident: IncidentRecord): Record<string, unknown> {
    const status = this.status(incident.statusId);
    const severity = incident.severityId ? this.severity(incident.severityId) : undefined;
    if (!status) throw new Error(`incident ${incident.id} has unknown status ${incident.statusId}`);
    return withoutUndefined({
      id: incident.id,
      reference: `INC-${incident.number}`,
      name: incident.name,
      summary: incident.summary,
      mode: incident.mode,
      visibility: incident.visibility,
      incident_status: { ...status },
      severity: severity ? { ...severity } : undefined,
      creator: incident.creator,
      call_url: incident.callUrl,
      custom_field_entries: [],
      incident_role_assignments: [],
      incident_timestamp_values: [],
      // incident.io creates the channel asynchronously, so it is empty right after creation; the
      // emulator has no Slack, so it stays empty.
      slack_channel_id: '',
      slack_channel_name: incident.slackChannelNameOverride,
      slack_team_id: incident.slackTeamId,
      created_at: incident.createdAt,
      updated_at: incident.updatedAt,
    });
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
