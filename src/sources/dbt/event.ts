import type { AlertEvent, JsonObject, JsonValue, Severity } from '../../domain/alert.ts';
import type { DbtArtifact, DbtResult } from './artifacts.ts';
import { fillLink } from './link.ts';
import { parentIds, type ManifestIndex, type SlimNode } from './manifest.ts';
import { outcomeOf, type FiringStatus } from './status.ts';

export interface DbtOptions {
  /** Metadata (`project`, the link's `{project}`) and an old-key alias; never part of the identity. */
  project?: string;
  environment?: string;
  link_template?: string;
  severity: Partial<Record<FiringStatus, Severity>>;
}

const TEST_TYPES = new Set(['test', 'unit_test']);

/** A readable name from a unique_id alone, for uploads without a manifest: `test.pkg.not_null_x.ab12` → `not_null_x`. */
export function nameFromUniqueId(uid: string): string {
  const [type, , ...rest] = uid.split('.');
  if (!rest.length) return uid;
  if (type === 'source') return rest.join('.');
  if (type === 'test' && rest.length > 1 && /^[0-9a-f]{10}$/.test(rest[rest.length - 1]!)) return rest.slice(0, -1).join('.');
  if (type === 'unit_test') return rest[rest.length - 1]!;
  return rest.join('.');
}

const nodeName = (node: SlimNode | undefined, uid: string) =>
  node?.source_name && node.name ? `${node.source_name}.${node.name}` : (node?.name ?? nameFromUniqueId(uid));

/** The node a test is about: its attached node (dbt ≥ 1.5), else what its `model` kwarg or dependencies name. */
function testedNode(node: SlimNode | undefined, manifest: ManifestIndex): { id?: string; name?: string; node?: SlimNode } {
  if (!node) return {};
  const ids = parentIds(node);
  const model = node.test_metadata?.model;
  const id = node.attached_node ?? (model ? ids.find((i) => nodeName(manifest.node(i), i) === model) : ids[0]);
  if (id) {
    const parent = manifest.node(id);
    return { id, name: nodeName(parent, id), ...(parent ? { node: parent } : {}) };
  }
  return node.test_metadata?.model ? { name: node.test_metadata.model } : {};
}

/** `<resource_type>.<package>.<name…>`: every unique_id carries its package, manifest or not. */
const packageOf = (uid: string): string | undefined => uid.split('.')[1] || undefined;

const isObject = (v: JsonValue | undefined): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A node's `meta` as dbt users write it: a source's `source_meta`, then the node's `meta`, then `config.meta` on top. */
function metaOf(node: SlimNode | undefined): JsonObject {
  return { ...(node?.source_meta ?? {}), ...(node?.meta ?? {}), ...(node?.config?.meta ?? {}) };
}

/**
 * The keys earlier versions stored this alert under: `<project>/<unique_id>` for every project name this upload
 * knows (the option, the manifest's) and for the package in the unique_id (the project's own nodes), so an alert
 * opened before the identity became the unique_id alone still resolves.
 */
function oldKeys(uid: string, names: (string | undefined)[]): string[] {
  return [...new Set(names.filter((n): n is string => !!n))].map((n) => `${n}/${uid}`);
}

function verb(resourceType: string, status: string): string {
  if (resourceType === 'source') {
    return { error: 'error', warn: 'warning', 'runtime error': 'check errored', pass: 'passed' }[status] ?? status;
  }
  return (
    { fail: 'failed', error: 'errored', warn: 'warned', 'runtime error': 'errored', 'partial success': 'partially failed', pass: 'passed', success: 'succeeded' }[
      status
    ] ?? status
  );
}

function title(resourceType: string, status: string, name: string, model: string | undefined): string {
  if (resourceType === 'source') return `dbt source freshness ${verb(resourceType, status)}: ${name}`;
  const what = resourceType === 'unit_test' ? 'unit test' : resourceType;
  return `dbt ${what} ${verb(resourceType, status)}: ${name}${model && model !== name ? ` (${model})` : ''}`;
}

function criteriaText(criteria: Record<string, unknown> | undefined): string | undefined {
  if (!criteria) return undefined;
  // Only scalars are written out: String() of a nested array recurses (and overflows on one thousands deep).
  const scalar = (x: unknown) => (typeof x === 'number' || typeof x === 'string' ? String(x) : undefined);
  const part = (label: string, v: unknown) => {
    const c = v as { count?: unknown; period?: unknown } | null;
    const count = c ? scalar(c.count) : undefined;
    return count !== undefined ? `${label} after ${count} ${scalar(c!.period) ?? ''}`.trimEnd() : undefined;
  };
  const parts = [part('warn', criteria.warn_after), part('error', criteria.error_after)].filter(Boolean);
  return parts.length ? parts.join(', ') : undefined;
}

/**
 * One dbt result as an alert event, or undefined when its status says nothing (skipped, no-op).
 * Identity is the `unique_id` alone: what failed, never which invocation saw it fail nor which artifacts came with
 * the upload (it already names the package).
 */
export function dbtEvent(source: string, result: DbtResult, artifact: DbtArtifact, manifest: ManifestIndex, opts: DbtOptions): AlertEvent | undefined {
  const outcome = outcomeOf(result.status, opts.severity);
  if (outcome.action === 'ignore') return undefined;
  const uid = result.uniqueId;
  const node = manifest.node(uid);
  const resourceType = node?.resource_type ?? uid.split('.')[0] ?? 'node';
  const isTest = TEST_TYPES.has(resourceType);
  const name = nodeName(node, uid);
  const tested = isTest ? testedNode(node, manifest) : {};
  const project = opts.project ?? manifest.projectName;
  const pkg = node?.package_name ?? packageOf(uid);

  let owners = node ? manifest.owners(node) : [];
  if (!owners.length && tested.node) owners = manifest.owners(tested.node);
  const tags = [...new Set([...(node?.tags ?? []), ...(node?.config?.tags ?? [])])];
  const configured = node?.config?.severity?.toLowerCase();
  const dbtSeverity = configured ?? (outcome.action === 'fire' ? (outcome.status === 'warn' ? 'warn' : 'error') : undefined);
  const environment = opts.environment ?? artifact.env.ENVIRONMENT ?? artifact.env.environment;

  // A test rarely has meta of its own: it inherits its model's (team, owner), its own keys on top.
  const meta = { ...(tested.node ? metaOf(tested.node) : {}), ...metaOf(node) };

  const metadata: JsonObject = { unique_id: uid, resource_type: resourceType, status: result.status };
  const set = (key: string, value: JsonObject[string] | undefined) => {
    if (value === undefined || (Array.isArray(value) && value.length === 0) || (isObject(value) && !Object.keys(value).length)) return;
    metadata[key] = value;
  };
  set('package', pkg);
  set('project', project);
  // Not `severity`: that key is tocsin's own severity in routes and in what incident.io receives.
  set('dbt_severity', dbtSeverity);
  set('owners', owners);
  set('tags', tags);
  set('environment', environment);
  set(isTest ? 'test_description' : 'description', node?.description);
  set('model', tested.name);
  set('column', node?.column_name);
  set('failures', result.failures);
  set('message', result.message);
  set('max_loaded_at', result.maxLoadedAt);
  set('age_seconds', result.ageSeconds);
  set('criteria', result.criteria as JsonObject | undefined);
  set('dbt_version', artifact.dbtVersion);
  set('invocation_id', artifact.invocationId);
  set('execution_time', result.executionTime);
  // Last: routes read it as `meta.<key>`, and a large meta must not crowd out the keys above (labels are capped).
  set('meta', meta);

  const lines = [
    result.message,
    tested.name ? `Model: ${tested.name}` : undefined,
    node?.column_name ? `Column: ${node.column_name}` : undefined,
    result.failures ? `Failing rows: ${result.failures}` : undefined,
    result.maxLoadedAt ? `Last loaded: ${result.maxLoadedAt}` : undefined,
    criteriaText(result.criteria) ? `Freshness: ${criteriaText(result.criteria)}` : undefined,
    owners.length ? `Owners: ${owners.join(', ')}` : undefined,
    node?.description,
  ].filter((l): l is string => !!l);

  const event: AlertEvent = {
    source,
    dedupKey: uid,
    status: outcome.action === 'fire' ? 'firing' : 'resolved',
    title: title(resourceType, result.status, name, tested.name),
    metadata,
    // Differ on every run: a test still failing the same way must not be re-sent each time dbt runs.
    volatile: ['invocation_id', 'execution_time', 'age_seconds'],
  };
  const aliases = oldKeys(uid, [opts.project, manifest.projectName, packageOf(uid)]);
  if (aliases.length) event.aliases = aliases;
  if (lines.length) event.description = lines.join('\n');
  if (outcome.action === 'fire') event.severity = outcome.severity;
  const link = opts.link_template
    ? fillLink(opts.link_template, { unique_id: uid, name, resource_type: resourceType, ...(project ? { project } : {}) })
    : undefined;
  if (link) event.sourceUrl = link;
  return event;
}
