import type { FieldProblem, ParseOutcome } from '../../domain/errors.ts';
import { echo } from '../problems.ts';

/** One node's result from run_results.json, or one source's from sources.json / freshness.json. */
export interface DbtResult {
  uniqueId: string;
  /** Lower-cased: dbt Fusion writes `Pass`, `Warn`. */
  status: string;
  message?: string;
  failures?: number;
  executionTime?: number;
  /** Freshness only. */
  maxLoadedAt?: string;
  ageSeconds?: number;
  criteria?: Record<string, unknown>;
}

/** One artifact of an upload, with the invocation facts every alert from it carries. */
export interface DbtArtifact {
  kind: 'run_results' | 'sources';
  dbtVersion?: string;
  invocationId?: string;
  env: Record<string, string>;
  results: DbtResult[];
}

export interface DbtUpload {
  artifacts: DbtArtifact[];
  manifest?: unknown;
}

/**
 * The result fields the parser reads. `tocsin dbt` uploads only these (compiled SQL alone can make a run_results.json
 * tens of megabytes), so a field the parser starts to read must be added here.
 */
export const RESULT_KEYS = [
  'unique_id', 'status', 'message', 'error', 'failures', 'execution_time', 'max_loaded_at', 'max_loaded_at_time_ago_in_s', 'criteria',
] as const;
/** Artifact metadata the parser reads (`metadata.*`). */
export const METADATA_KEYS = ['dbt_schema_version', 'dbt_version', 'invocation_id', 'generated_at', 'env'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const schemaOf = (v: unknown): string | undefined => (isObject(v) && isObject(v.metadata) ? str(v.metadata.dbt_schema_version) : undefined);

type Kind = DbtArtifact['kind'] | 'manifest' | 'unknown';

/** run-results v1–v6, sources v1–v3 and Fusion's freshness v0 are told apart by their schema URL. */
function kindOf(schema: string): Kind {
  if (schema.includes('/run-results/')) return 'run_results';
  if (schema.includes('/sources/') || schema.includes('/freshness/')) return 'sources';
  if (schema.includes('/manifest/')) return 'manifest';
  return 'unknown';
}

/** Which dbt artifact a parsed JSON file is, by its schema URL; undefined when it has none. */
export function artifactKind(value: unknown): Kind | undefined {
  const schema = schemaOf(value);
  return schema === undefined ? undefined : kindOf(schema);
}

function readResult(raw: unknown, field: string, problems: FieldProblem[]): DbtResult | undefined {
  if (!isObject(raw)) return void problems.push({ field, message: 'must be an object' });
  const uniqueId = str(raw.unique_id);
  const status = str(raw.status);
  if (!uniqueId) problems.push({ field: `${field}.unique_id`, message: raw.unique_id === undefined ? 'required' : 'must be a non-empty string' });
  if (!status) problems.push({ field: `${field}.status`, message: raw.status === undefined ? 'required' : 'must be a non-empty string' });
  if (!uniqueId || !status) return undefined;
  const r: DbtResult = { uniqueId, status: status.trim().toLowerCase() };
  // A freshness runtime error carries its text in `error`, everything else in `message`.
  const message = str(raw.message) ?? str(raw.error);
  if (message) r.message = message;
  const failures = num(raw.failures);
  if (failures !== undefined) r.failures = failures;
  const time = num(raw.execution_time);
  if (time !== undefined) r.executionTime = time;
  const maxLoadedAt = str(raw.max_loaded_at);
  if (maxLoadedAt) r.maxLoadedAt = maxLoadedAt;
  const age = num(raw.max_loaded_at_time_ago_in_s);
  if (age !== undefined) r.ageSeconds = age;
  if (isObject(raw.criteria)) r.criteria = raw.criteria;
  return r;
}

function readArtifact(raw: unknown, kind: DbtArtifact['kind'], prefix: string, problems: FieldProblem[]): DbtArtifact | undefined {
  const at = (f: string) => (prefix ? `${prefix}.${f}` : f);
  if (!isObject(raw)) return void problems.push({ field: prefix || '(body)', message: 'must be a JSON object' });
  const schema = schemaOf(raw);
  if (schema !== undefined && kindOf(schema) !== kind) {
    return void problems.push({ field: at('metadata.dbt_schema_version'), message: `expected a ${kind === 'run_results' ? 'run_results.json' : 'sources.json'}, got ${echo(schema)}` });
  }
  if (!Array.isArray(raw.results)) return void problems.push({ field: at('results'), message: raw.results === undefined ? 'required' : 'must be an array' });
  const meta = isObject(raw.metadata) ? raw.metadata : {};
  const env: Record<string, string> = {};
  if (isObject(meta.env)) for (const [k, v] of Object.entries(meta.env)) if (typeof v === 'string') env[k] = v;
  const artifact: DbtArtifact = { kind, env, results: [] };
  const dbtVersion = str(meta.dbt_version);
  if (dbtVersion) artifact.dbtVersion = dbtVersion;
  const invocationId = str(meta.invocation_id);
  if (invocationId) artifact.invocationId = invocationId;
  raw.results.forEach((r, i) => {
    const result = readResult(r, at(`results[${i}]`), problems);
    if (result) artifact.results.push(result);
  });
  return artifact;
}

/**
 * What `POST /ingest/<dbt source>` accepts: `{ run_results, manifest?, sources? }` as `tocsin dbt` sends it, or a bare
 * run_results.json / sources.json (e.g. from a curl step in CI), told apart by `metadata.dbt_schema_version`.
 */
export function readUpload(body: unknown): ParseOutcome<DbtUpload> {
  const problems: FieldProblem[] = [];
  const fail = (field: string, message: string): ParseOutcome<DbtUpload> => ({ ok: false, problems: [{ field, message }] });
  if (!isObject(body)) return fail('(body)', 'must be a JSON object: run_results.json, sources.json or { run_results, manifest?, sources? }');

  const schema = schemaOf(body);
  if (schema !== undefined) {
    const kind = kindOf(schema);
    if (kind === 'manifest') return fail('metadata.dbt_schema_version', 'a manifest alone carries no results: send { run_results, manifest }');
    if (kind === 'unknown') return fail('metadata.dbt_schema_version', `not a dbt run_results.json or sources.json: ${echo(schema)}`);
    const artifact = readArtifact(body, kind, '', problems);
    return problems.length || !artifact ? { ok: false, problems } : { ok: true, value: { artifacts: [artifact] } };
  }

  if (body.run_results === undefined && body.sources === undefined) {
    return fail('(body)', 'not a dbt upload: expected run_results.json, sources.json or { run_results, manifest?, sources? }');
  }
  const upload: DbtUpload = { artifacts: [] };
  if (body.run_results !== undefined) {
    const a = readArtifact(body.run_results, 'run_results', 'run_results', problems);
    if (a) upload.artifacts.push(a);
  }
  if (body.sources !== undefined) {
    const a = readArtifact(body.sources, 'sources', 'sources', problems);
    if (a) upload.artifacts.push(a);
  }
  if (body.manifest !== undefined && body.manifest !== null) {
    if (!isObject(body.manifest)) problems.push({ field: 'manifest', message: 'must be a JSON object (a manifest.json or the subset tocsin dbt sends)' });
    else if (schemaOf(body.manifest) !== undefined && kindOf(schemaOf(body.manifest)!) !== 'manifest') {
      problems.push({ field: 'manifest.metadata.dbt_schema_version', message: `expected a manifest, got ${echo(schemaOf(body.manifest))}` });
    } else upload.manifest = body.manifest;
  }
  return problems.length ? { ok: false, problems } : { ok: true, value: upload };
}
