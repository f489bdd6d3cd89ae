import type { Readable } from 'node:stream';
import parser from 'stream-json/parser.js';
import { NODE_KEYS, parentIds, parentNode, slimGroup, slimMetadata, slimNode, type ManifestSubset, type SlimNode } from './manifest.ts';

/**
 * Streams a dbt manifest.json (100 MB and more in large projects) and keeps only what the dbt parser reads for the
 * given unique_ids: their slim nodes, the nodes they test, the groups and the project metadata. Memory stays
 * proportional to the subset, not to the file: every node is built from the few keys in NODE_KEYS, never whole.
 *
 * Used by `tocsin dbt` on the user's own artifacts; the gateway never streams untrusted input through it.
 */

type Token = parser.Token;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Builds one JSON value from packed tokens. */
class ValueBuilder {
  private readonly stack: (Json[] | { [key: string]: Json })[] = [];
  private readonly keys: (string | undefined)[] = [];
  value: Json = null;
  done = false;

  push(t: Token): void {
    switch (t.name) {
      case 'startObject':
        this.stack.push({});
        this.keys.push(undefined);
        return;
      case 'startArray':
        this.stack.push([]);
        this.keys.push(undefined);
        return;
      case 'endObject':
      case 'endArray':
        this.keys.pop();
        return this.add(this.stack.pop()!);
      case 'keyValue':
        this.keys[this.keys.length - 1] = t.value;
        return;
      case 'stringValue':
        return this.add(t.value);
      case 'numberValue':
        return this.add(Number(t.value));
      case 'nullValue':
        return this.add(null);
      case 'trueValue':
        return this.add(true);
      case 'falseValue':
        return this.add(false);
    }
  }

  private add(v: Json): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) {
      this.value = v;
      this.done = true;
    } else if (Array.isArray(top)) top.push(v);
    // defineProperty, like JSON.parse: a "__proto__" key is data, never the object's prototype.
    else Object.defineProperty(top, this.keys[this.keys.length - 1]!, { value: v, enumerable: true, writable: true, configurable: true });
  }
}

/**
 * Copies a value into fresh strings. The parser's strings are V8 slices of the 64 KB text chunk they came from, so
 * keeping one short name would keep its whole chunk alive: across a large manifest, most of the file.
 */
const detach = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

type Decision = 'descend' | 'capture' | 'skip';

/** Where in the document a value sits decides whether it is walked into, built, or skipped token by token. */
function decide(path: readonly string[]): Decision {
  const [section, , key] = path;
  switch (path.length) {
    case 0:
      return 'descend';
    case 1:
      return section === 'metadata' || section === 'groups' ? 'capture' : section === 'nodes' || section === 'sources' ? 'descend' : 'skip';
    case 2:
      return 'descend';
    case 3:
      return NODE_KEYS.has(key!) ? 'capture' : 'skip';
    default:
      return 'skip';
  }
}

interface Frame {
  path: string[];
  key?: string;
  index: number;
  array: boolean;
}

const isStart = (t: Token) => t.name === 'startObject' || t.name === 'startArray';
const isEnd = (t: Token) => t.name === 'endObject' || t.name === 'endArray';

export interface ExtractOptions {
  /** Called as bytes are read, for a progress bar. */
  onProgress?: (bytesRead: number) => void;
}

export async function extractManifestSubset(input: Readable, wanted: ReadonlySet<string>, opts: ExtractOptions = {}): Promise<ManifestSubset> {
  const out: ManifestSubset = { metadata: {}, nodes: {}, sources: {}, groups: {} };
  // Tested nodes can come before or after their tests in the file, so every possible parent is kept, slimmer still.
  const parents = { nodes: new Map<string, SlimNode>(), sources: new Map<string, SlimNode>() };
  let current: Record<string, Json> = {};
  let sawRoot = false;

  const captured = (path: readonly string[], raw: Json) => {
    const value = path.length === 3 ? raw : detach(raw);
    if (path.length === 3) current[path[2]!] = value;
    else if (path[0] === 'metadata') out.metadata = slimMetadata(value);
    else if (path[0] === 'groups' && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, g] of Object.entries(value)) {
        const slim = slimGroup(g);
        if (slim) out.groups[k] = slim;
      }
    }
  };
  const closed = (path: readonly string[]) => {
    if (path.length !== 2) return;
    const [section, id] = path as [keyof typeof parents, string];
    const slim = slimNode(current);
    current = {};
    if (!slim) return;
    const node = detach(slim);
    if (wanted.has(id)) out[section][id] = node;
    else if (node.resource_type !== 'test' && node.resource_type !== 'unit_test') parents[section].set(detach(id), parentNode(node));
  };

  let bytes = 0;
  input.on('data', (chunk: Buffer | string) => {
    bytes += chunk.length;
    opts.onProgress?.(bytes);
  });
  const tokens = parser.asStream({ packValues: true, streamValues: false });
  input.on('error', (e) => tokens.destroy(e));
  input.pipe(tokens);

  const frames: Frame[] = [];
  let builder: ValueBuilder | undefined;
  let builderPath: string[] = [];
  let skipping = 0;
  const onToken = (t: Token) => {
    if (builder) {
      builder.push(t);
      if (builder.done) {
        captured(builderPath, builder.value);
        builder = undefined;
      }
      return;
    }
    if (skipping) {
      if (isStart(t)) skipping++;
      else if (isEnd(t)) skipping--;
      return;
    }
    const top = frames[frames.length - 1];
    if (t.name === 'keyValue') {
      if (top) top.key = t.value;
      return;
    }
    if (isEnd(t)) {
      const frame = frames.pop()!;
      closed(frame.path);
      return;
    }
    if (!top && sawRoot) return;
    const path = top ? [...top.path, top.array ? String(top.index++) : top.key!] : [];
    if (!top) {
      sawRoot = true;
      if (t.name !== 'startObject') throw new Error('not a dbt manifest: the file does not hold a JSON object');
    }
    const d = decide(path);
    if (d === 'skip') {
      if (isStart(t)) skipping = 1;
    } else if (d === 'capture') {
      builder = new ValueBuilder();
      builder.push(t);
      builderPath = path;
      if (builder.done) {
        captured(path, builder.value);
        builder = undefined;
      }
    } else if (isStart(t)) frames.push({ path, index: 0, array: t.name === 'startArray' });
  };

  // Tokens are handled in 'data' callbacks, not with for-await: millions of tokens must not mean millions of promises.
  await new Promise<void>((resolve, reject) => {
    tokens.on('data', (t: Token) => {
      try {
        onToken(t);
      } catch (e) {
        tokens.destroy();
        input.destroy();
        reject(e);
      }
    });
    tokens.on('end', resolve);
    tokens.on('error', (e) => reject(e.message.startsWith('not a dbt manifest') ? e : new Error(`not valid JSON: ${e.message}`)));
  });
  if (!sawRoot) throw new Error('not a dbt manifest: the file is empty');
  if (out.metadata.dbt_schema_version && !out.metadata.dbt_schema_version.includes('/manifest/')) {
    throw new Error(`not a dbt manifest: its schema is ${out.metadata.dbt_schema_version}`);
  }

  for (const section of ['nodes', 'sources'] as const) {
    for (const node of Object.values(out[section])) {
      for (const id of parentIds(node)) {
        if (out.nodes[id] || out.sources[id]) continue;
        const p = parents.nodes.get(id);
        if (p) out.nodes[id] = p;
        const s = parents.sources.get(id);
        if (s) out.sources[id] = s;
      }
    }
  }
  return out;
}
