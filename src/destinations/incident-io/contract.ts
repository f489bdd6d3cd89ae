/**
 * The parts of incident.io's published API (OpenAPI 3.0.3, vendored in openapi/) that tocsin sends and reads.
 * incident.io documents every enum as open: unknown values must never break parsing, hence `(string & {})`.
 */

/** AlertEventsCreateHTTPPayloadV2. No field is nullable: optional fields are left out, never sent as null. */
export interface AlertEventPayload {
  title: string;
  status: 'firing' | 'resolved';
  deduplication_key: string;
  description?: string;
  metadata?: Record<string, unknown>;
  source_url?: string;
}

/** incident.io's error envelope, read defensively: bodies are not always this full. */
export interface ErrorEnvelope {
  type?: string;
  status?: number;
  request_id?: string;
  errors?: { code?: string; message?: string; source?: { field?: string } }[];
}

export function readErrorEnvelope(body: string): ErrorEnvelope | undefined {
  try {
    const v = JSON.parse(body) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as ErrorEnvelope) : undefined;
  } catch {
    return undefined;
  }
}

/** incident.io drops request bodies over 512 KB. */
export const MAX_BODY_BYTES = 512 * 1024;
