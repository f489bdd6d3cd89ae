/**
 * The emulated organisation's configuration: a realistic default set of incident statuses and
 * severities. IDs are fixed so a tocsin config written against the emulator (say, a closed status
 * ID) keeps working across restarts.
 */

export type StatusCategory = 'triage' | 'declined' | 'merged' | 'canceled' | 'live' | 'learning' | 'closed' | 'paused';

export interface IncidentStatus {
  id: string;
  name: string;
  description: string;
  rank: number;
  category: StatusCategory;
  created_at: string;
  updated_at: string;
}

export interface SeverityLevel {
  id: string;
  name: string;
  description: string;
  rank: number;
  created_at: string;
  updated_at: string;
}

const CONFIGURED_AT = '2024-01-01T09:00:00.000Z';

function status(id: string, name: string, category: StatusCategory, rank: number, description: string): IncidentStatus {
  return { id, name, description, rank, category, created_at: CONFIGURED_AT, updated_at: CONFIGURED_AT };
}

export const DEFAULT_STATUSES: readonly IncidentStatus[] = [
  status('01HV000000000000000000ST01', 'Triage', 'triage', 1, 'We are checking whether this is a real incident.'),
  status('01HV000000000000000000ST02', 'Investigating', 'live', 2, "We're investigating the **impact** and the cause."),
  status('01HV000000000000000000ST03', 'Fixing', 'live', 3, 'We know the cause and are working on a fix.'),
  status('01HV000000000000000000ST04', 'Monitoring', 'live', 4, 'A fix is in place; we are watching that it holds.'),
  status('01HV000000000000000000ST05', 'Documenting', 'learning', 5, 'Impact has been **fully mitigated**, and we are learning from this incident.'),
  status('01HV000000000000000000ST06', 'Closed', 'closed', 6, 'The incident is over and its follow-ups are tracked.'),
  status('01HV000000000000000000ST07', 'Declined', 'declined', 7, 'This was not an incident.'),
];

/** Where a new incident starts unless the caller picks a status: the first live status. */
export const DEFAULT_OPEN_STATUS_ID = '01HV000000000000000000ST02';

function severity(id: string, name: string, rank: number, description: string): SeverityLevel {
  return { id, name, description, rank, created_at: CONFIGURED_AT, updated_at: CONFIGURED_AT };
}

/** Rank: lower is less severe, as in incident.io. */
export const DEFAULT_SEVERITIES: readonly SeverityLevel[] = [
  severity('01HV00000000000000000SEV01', 'Minor', 1, 'Issues with **low impact**: a degraded feature, a workaround exists.'),
  severity('01HV00000000000000000SEV02', 'Major', 2, 'Issues causing **significant impact** to many customers.'),
  severity('01HV00000000000000000SEV03', 'Critical', 3, 'Issues causing **severe impact**: a core product is down for everyone.'),
];
