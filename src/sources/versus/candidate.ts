import { createHash } from 'node:crypto';
import type { AlertEvent, JsonObject } from '../../domain/alert.ts';
import type { FieldProblem } from '../../domain/errors.ts';

/**
 * One alert as a recognised shape reads it, before the configured expressions get their say. `context` is what
 * those expressions evaluate against: the alert of an Alertmanager/Grafana group, the decoded CloudWatch alarm, the
 * Sentry or unknown payload itself.
 */
export interface Candidate {
  /** Prefix for problems about this alert: `alerts[2]`, `[1]`, `Message`, or '' for the body. */
  field: string;
  context: unknown;
  event: Partial<Omit<AlertEvent, 'source' | 'metadata'>> & { metadata: JsonObject };
  /** For shapes without an id that name a title: the key is a hash of the final title, so it is stable but overridable. */
  keyFromTitle?: boolean;
  /**
   * The title earlier versions of this parser keyed a payload without an id on (they read `message` as a title, and
   * a configured title expression made the key): the alert stored under that key is found through an alias.
   */
  legacyTitle?: string;
  /** The key is a hash of the payload's stable fields (a payload with neither an id nor a title). */
  autoKey?: boolean;
  /** Nothing to say about this alert (a CloudWatch INSUFFICIENT_DATA that is configured to be ignored). */
  skip?: boolean;
}

export type Recognised = { ok: true; shape: string; candidates: Candidate[] } | { ok: false; problems: FieldProblem[] };

export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
export const text = (v: unknown): string | undefined => {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
};

/** A deterministic key from content, for shapes that carry no id of their own. */
export const hashKey = (prefix: string, content: string) => `${prefix}:${createHash('sha256').update(content).digest('hex').slice(0, 32)}`;

export { httpUrl } from '../http-url.ts';
