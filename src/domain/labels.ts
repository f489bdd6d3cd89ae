import type { JsonObject, JsonValue, ParserLabels, Severity } from './alert.ts';

/**
 * The flat `name → values` set every matcher sees (routes, silences, inhibition, escalation). A name may carry
 * several values (dbt `tags`, `owners`): a matcher on it looks at each.
 */
export type Labels = Record<string, string[]>;

/** Past this depth or width, metadata is not worth turning into labels (and would cost time on the hot path). */
const MAX_DEPTH = 4;
const MAX_LABELS = 200;

function scalar(v: JsonValue): string | undefined {
  if (v === null || typeof v === 'object') return undefined;
  return String(v);
}

function flatten(value: JsonObject, prefix: string, depth: number, out: Labels): void {
  for (const [k, v] of Object.entries(value)) {
    if (Object.keys(out).length >= MAX_LABELS) return;
    const name = prefix ? `${prefix}.${k}` : k;
    if (v === null) continue;
    if (Array.isArray(v)) {
      const values = v.map(scalar).filter((s): s is string => s !== undefined);
      if (values.length) out[name] = values;
    } else if (typeof v === 'object') {
      if (depth < MAX_DEPTH) flatten(v, name, depth + 1, out);
    } else {
      out[name] = [String(v)];
    }
  }
}

export interface LabelInput {
  source: string;
  severity?: Severity | undefined;
  metadata: JsonObject;
  labels?: ParserLabels | undefined;
}

/**
 * The labels of an alert: its metadata flattened (top-level scalars by name, nested keys by dotted path, lists of
 * scalars as several values), then what its parser set by name, then tocsin's own `source` and `severity` — those
 * two always mean tocsin's source name and normalised severity, whatever the sender's metadata called so.
 */
export function labelsOf(input: LabelInput): Labels {
  const out: Labels = {};
  flatten(input.metadata, '', 0, out);
  for (const [k, v] of Object.entries(input.labels ?? {})) out[k] = Array.isArray(v) ? v : [v];
  out.source = [input.source];
  if (input.severity) out.severity = [input.severity];
  else delete out.severity;
  return out;
}

/** `team=storage severity=critical` (the CLI's and the route tester's input) as labels. */
export function parseLabelArgs(args: readonly string[]): { ok: true; labels: Labels } | { ok: false; message: string } {
  const labels: Labels = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i <= 0) return { ok: false, message: `"${a}" is not name=value` };
    const name = a.slice(0, i);
    (labels[name] ??= []).push(a.slice(i + 1));
  }
  return { ok: true, labels };
}
