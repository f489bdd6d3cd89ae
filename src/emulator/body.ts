/**
 * Reading a JSON request body. The server hands every body over as raw bytes so that size, media
 * type and syntax problems get incident.io's error envelope rather than fastify's.
 *
 * Emulator choice: a body with an explicit non-JSON Content-Type is refused with 415 (a missing
 * Content-Type is read as JSON). incident.io may be more lenient; refusing catches a client that
 * forgets the header, which `curl -d` does by default.
 */
import { rejection, type Rejection } from './errors.ts';

/** incident.io drops request bodies over 512 KB. */
export const MAX_BODY_BYTES = 512 * 1024;

export type BodyOutcome = { ok: true; value: unknown } | { ok: false; rejection: Rejection };

const isJsonMediaType = (contentType: string): boolean => {
  const essence = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return essence === 'application/json' || (essence.startsWith('application/') && essence.endsWith('+json'));
};

export function readJsonBody(contentType: string | undefined, raw: unknown): BodyOutcome {
  if (contentType && !isJsonMediaType(contentType)) {
    return {
      ok: false,
      rejection: rejection(415, 'unsupported_media_type', [
        {
          code: 'unsupported_media_type',
          message: `Request bodies must be JSON: send 'Content-Type: application/json' (got '${contentType.slice(0, 100)}')`,
        },
      ]),
    };
  }
  if (!Buffer.isBuffer(raw) || raw.length === 0) {
    return {
      ok: false,
      rejection: rejection(400, 'bad_request', [{ code: 'missing_body', message: 'A JSON request body is required' }]),
    };
  }
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return {
      ok: false,
      rejection: rejection(400, 'bad_request', [{ code: 'invalid_json', message: 'The request body is not valid JSON' }]),
    };
  }
}

export function tooLarge(): Rejection {
  return rejection(413, 'request_too_large', [
    {
      code: 'request_too_large',
      message: `The request body is larger than 512 KB (${MAX_BODY_BYTES} bytes): incident.io drops bodies over 512 KB. Trim metadata before sending.`,
    },
  ]);
}
