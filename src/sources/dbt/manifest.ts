import type { JsonObject, JsonValue } from '../../domain/alert.ts';

/**
 * The few fields of a manifest node (or source) the dbt parser reads. Manifests v9–v12 (dbt 1.5–1.11, Fusion) all
 * carry them under the same names; everything else in a node (SQL, columns, checksums) is dropped.
 */
export interface SlimNode {
  unique_id?: string;
  name?: string;
  resource_type?: string;
  package_name?: string;
  description?: string;
  tags?: string[];
  meta?: JsonObject;
  config?: { severity?: string; meta?: JsonObject; tags?: string[]; group?: string };
  group?: string;
  depends_on?: { nodes: string[] };
  attached_node?: string;
  column_name?: string;
  test_metadata?: { name?: string; model?: string };
  source_name?: string;
  source_meta?: JsonObject;
}

export interface SlimGroup {
  name?: string;
  owner?: { name?: string; email?: string };
}

/** What `tocsin dbt` uploads instead of a whole manifest: the same shape, only the nodes a run touched. */
export interface ManifestSubset {
  metadata: { project_name?: string; dbt_version?: string; dbt_schema_version?: string };
  nodes: Record<string, SlimNode>;
  sources: Record<string, SlimNode>;
  groups: Record<string, SlimGroup>;
}

/** Node keys worth reading; a streaming reader skips every other key without building it. */
export const NODE_KEYS: ReadonlySet<string> = new Set([
  'unique_id', 'name', 'resource_type', 'package_name', 'description', 'tags', 'meta', 'config', 'group',
  'depends_on', 'attached_node', 'column_name', 'test_metadata', 'source_name', 'source_meta',
]);

/** Descriptions are documentation, sometimes pages long; an alert needs the gist. */
const MAX_DESCRIPTION = 1000;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
const jsonObject = (v: unknown): JsonObject | undefined => (isObject(v) && Object.keys(v).length ? (v as JsonObject) : undefined);

function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined) {
  if (value !== undefined) target[key] = value;
}

/** The model a generic test is attached to, from its `model` kwarg: `{{ get_where_subquery(ref('orders')) }}`. */
function modelFromKwarg(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  const ref = /ref\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)/.exec(s);
  if (ref) return ref[2] ?? ref[1];
  const source = /source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)/.exec(s);
  return source ? `${source[1]}.${source[2]}` : undefined;
}

/** Projects any manifest node (full, or already slim) onto {@link SlimNode}; undefined for a non-object. */
export function slimNode(raw: unknown): SlimNode | undefined {
  if (!isObject(raw)) return undefined;
  const n: SlimNode = {};
  put(n, 'unique_id', str(raw.unique_id));
  put(n, 'name', str(raw.name));
  put(n, 'resource_type', str(raw.resource_type));
  put(n, 'package_name', str(raw.package_name));
  const description = str(raw.description);
  put(n, 'description', description && description.length > MAX_DESCRIPTION ? `${description.slice(0, MAX_DESCRIPTION - 1)}…` : description);
  const tags = strings(raw.tags);
  if (tags?.length) n.tags = tags;
  put(n, 'meta', jsonObject(raw.meta));
  if (isObject(raw.config)) {
    const c: NonNullable<SlimNode['config']> = {};
    put(c, 'severity', str(raw.config.severity));
    put(c, 'meta', jsonObject(raw.config.meta));
    const ctags = strings(raw.config.tags);
    if (ctags?.length) c.tags = ctags;
    put(c, 'group', str(raw.config.group));
    if (Object.keys(c).length) n.config = c;
  }
  put(n, 'group', str(raw.group));
  if (isObject(raw.depends_on)) {
    const nodes = strings(raw.depends_on.nodes);
    if (nodes?.length) n.depends_on = { nodes };
  }
  put(n, 'attached_node', str(raw.attached_node));
  put(n, 'column_name', str(raw.column_name));
  if (isObject(raw.test_metadata)) {
    const t: NonNullable<SlimNode['test_metadata']> = {};
    put(t, 'name', str(raw.test_metadata.name));
    // A slim node already holds `model`; a full one has it inside kwargs.
    const kwargs = isObject(raw.test_metadata.kwargs) ? raw.test_metadata.kwargs : {};
    put(t, 'model', str(raw.test_metadata.model) ?? modelFromKwarg(kwargs.model));
    if (Object.keys(t).length) n.test_metadata = t;
  }
  put(n, 'source_name', str(raw.source_name));
  put(n, 'source_meta', jsonObject(raw.source_meta));
  return n;
}

/** Only what a test's alert needs from the node it tests: its name and who owns it. */
export function parentNode(raw: SlimNode): SlimNode {
  const p: SlimNode = {};
  for (const key of ['unique_id', 'name', 'resource_type', 'package_name', 'meta', 'group', 'source_name', 'source_meta'] as const) {
    put(p, key, raw[key] as never);
  }
  if (raw.config?.meta || raw.config?.group) {
    p.config = {};
    put(p.config, 'meta', raw.config.meta);
    put(p.config, 'group', raw.config.group);
  }
  return p;
}

export function slimGroup(raw: unknown): SlimGroup | undefined {
  if (!isObject(raw)) return undefined;
  const g: SlimGroup = {};
  put(g, 'name', str(raw.name));
  if (isObject(raw.owner)) {
    const owner: NonNullable<SlimGroup['owner']> = {};
    put(owner, 'name', str(raw.owner.name));
    put(owner, 'email', str(raw.owner.email));
    if (Object.keys(owner).length) g.owner = owner;
  }
  return g;
}

export function slimMetadata(raw: unknown): ManifestSubset['metadata'] {
  const m: ManifestSubset['metadata'] = {};
  if (!isObject(raw)) return m;
  put(m, 'project_name', str(raw.project_name));
  put(m, 'dbt_version', str(raw.dbt_version));
  put(m, 'dbt_schema_version', str(raw.dbt_schema_version));
  return m;
}

/** Nodes a test points at: its attached node first (dbt ≥ 1.5), then its other dependencies. */
export function parentIds(node: SlimNode): string[] {
  const ids = [...(node.attached_node ? [node.attached_node] : []), ...(node.depends_on?.nodes ?? [])];
  return [...new Set(ids)];
}

/**
 * Keeps `wanted` nodes and sources, plus the nodes they test (for a model name and its owners), from any
 * manifest-shaped object. The same projection the streaming reader applies, for manifests already in memory.
 */
export function subsetOf(manifest: unknown, wanted: Iterable<string>): ManifestSubset {
  const m = isObject(manifest) ? manifest : {};
  const nodes = isObject(m.nodes) ? m.nodes : {};
  const sources = isObject(m.sources) ? m.sources : {};
  const groups = isObject(m.groups) ? m.groups : {};
  const out: ManifestSubset = { metadata: slimMetadata(m.metadata), nodes: {}, sources: {}, groups: {} };
  const parents = new Set<string>();
  for (const id of wanted) {
    const inNodes = slimNode(nodes[id]);
    if (inNodes) {
      out.nodes[id] = inNodes;
      for (const p of parentIds(inNodes)) parents.add(p);
    }
    const inSources = slimNode(sources[id]);
    if (inSources) out.sources[id] = inSources;
  }
  for (const id of parents) {
    if (out.nodes[id] || out.sources[id]) continue;
    const n = slimNode(nodes[id]);
    if (n) out.nodes[id] = parentNode(n);
    const s = slimNode(sources[id]);
    if (s) out.sources[id] = parentNode(s);
  }
  for (const [key, g] of Object.entries(groups)) {
    const slim = slimGroup(g);
    if (slim) out.groups[key] = slim;
  }
  return out;
}

// ---- reading a (full or subset) manifest for the parser ------------------------------------------------------

/** Owners as dbt projects write them: `owner: a`, `owner: [a, b]`, `owners: [{email: a}]`. */
function ownersIn(meta: JsonObject | undefined): string[] {
  if (!meta) return [];
  const out: string[] = [];
  const add = (v: JsonValue | undefined) => {
    if (typeof v === 'string' && v.trim()) out.push(v.trim());
    else if (Array.isArray(v)) v.forEach(add);
    else if (v && typeof v === 'object' && !Array.isArray(v)) add((v.email ?? v.name) as JsonValue | undefined);
  };
  add(meta.owner);
  add(meta.owners);
  return out;
}

export interface ManifestIndex {
  projectName?: string;
  node(uniqueId: string): SlimNode | undefined;
  /** Deduplicated owners: the node's meta and config.meta, its source's meta, its group's owner. */
  owners(node: SlimNode): string[];
}

export function indexManifest(manifest: unknown): ManifestIndex {
  const m = isObject(manifest) ? manifest : {};
  const nodes = isObject(m.nodes) ? m.nodes : {};
  const sources = isObject(m.sources) ? m.sources : {};
  const groups = isObject(m.groups) ? m.groups : {};
  const groupOwner = (node: SlimNode): string[] => {
    const name = node.group ?? node.config?.group;
    if (!name) return [];
    const g = slimGroup(groups[`group.${node.package_name}.${name}`]) ?? Object.values(groups).map(slimGroup).find((x) => x?.name === name);
    const owner = g?.owner?.email ?? g?.owner?.name;
    return owner ? [owner] : [];
  };
  const index: ManifestIndex = {
    node: (id) => slimNode(nodes[id]) ?? slimNode(sources[id]),
    owners: (node) => [...new Set([...ownersIn(node.meta), ...ownersIn(node.config?.meta), ...ownersIn(node.source_meta), ...groupOwner(node)])],
  };
  const project = slimMetadata(m.metadata).project_name;
  if (project) index.projectName = project;
  return index;
}
