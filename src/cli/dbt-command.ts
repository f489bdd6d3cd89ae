import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { artifactKind, METADATA_KEYS, RESULT_KEYS } from '../sources/dbt/artifacts.ts';
import { extractManifestSubset } from '../sources/dbt/manifest-subset.ts';
import { subsetOf, type ManifestSubset } from '../sources/dbt/manifest.ts';
import { CliError, EXIT } from './exit.ts';
import { call } from './http-client.ts';
import { DEFAULT_TIMEOUT_S, gatewayOption, seconds } from './options.ts';

export interface DbtUploadOptions {
  manifest?: string;
  sources?: string;
  source: string;
  gateway?: string;
  token?: string;
  /** Seconds per request. */
  timeout?: number;
  /** Upper bound for one request body; the gateway's default body_limit is 1 MiB. */
  maxRequestBytes: number;
  /** Print one JSON summary instead of a line per alert. */
  json?: boolean;
}

/** Where the command writes; injected so tests read what a user would see. */
export interface DbtIo {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

type Json = Record<string, unknown>;
interface IngestAnswer {
  results: { id: string | null; dedup_key: string; result: 'created' | 'updated' | 'resolved' | 'unchanged' }[];
}

/** The gateway refuses more than 1000 alerts per request; half that leaves room for the byte limit too. */
const RESULTS_PER_REQUEST = 500;

function readJson(path: string, what: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}`, EXIT.usage);
  }
  try {
    const json = JSON.parse(text) as unknown;
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('not a JSON object');
    return json as Json;
  } catch (e) {
    throw new CliError(`${what} ${path} is not valid JSON: ${(e as Error).message}`, EXIT.usage);
  }
}

const pick = (o: unknown, keys: readonly string[]): Json => {
  const out: Json = {};
  if (o && typeof o === 'object') for (const k of keys) if ((o as Json)[k] !== undefined) out[k] = (o as Json)[k];
  return out;
};

/** An artifact reduced to what the parser reads: compiled SQL and timings stay on the CI runner. */
function slimArtifact(artifact: Json): { metadata: Json; results: Json[] } {
  const results = Array.isArray(artifact.results) ? artifact.results.map((r) => pick(r, RESULT_KEYS)) : [];
  return { metadata: pick(artifact.metadata, METADATA_KEYS), results };
}

function progressBar(io: DbtIo, total: number): { update(bytes: number): void; done(): void } {
  if (!io.isTTY) return { update() {}, done() {} };
  let last = 0;
  const draw = (bytes: number) => {
    const width = 30;
    const filled = Math.round((bytes / total) * width);
    const mb = (n: number) => (n / 1e6).toFixed(1);
    io.err(`\rreading manifest [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor((bytes / total) * 100)}% ${mb(bytes)}/${mb(total)} MB`);
  };
  return {
    update(bytes) {
      const now = Date.now();
      if (now - last < 100 && bytes < total) return;
      last = now;
      draw(bytes);
    },
    done: () => io.err('\r\x1b[2K'),
  };
}

async function readManifestSubset(path: string, ids: Set<string>, io: DbtIo): Promise<ManifestSubset> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new CliError(`cannot read manifest ${path}: no such file`, EXIT.usage);
  }
  const bar = progressBar(io, size);
  try {
    return await extractManifestSubset(createReadStream(path), ids, { onProgress: (b) => bar.update(b) });
  } catch (e) {
    throw new CliError(`manifest ${path}: ${(e as Error).message}`, EXIT.usage);
  } finally {
    bar.done();
  }
}

interface Item {
  kind: 'run_results' | 'sources';
  result: Json;
}

/** Request bodies of at most RESULTS_PER_REQUEST results and maxBytes bytes, each with the manifest nodes it needs. */
function* batches(items: Item[], meta: Record<Item['kind'], Json>, subset: ManifestSubset | undefined, maxBytes: number): Generator<Json> {
  const body = (chunk: Item[]) => {
    const b: Json = {};
    for (const kind of ['run_results', 'sources'] as const) {
      const results = chunk.filter((i) => i.kind === kind).map((i) => i.result);
      if (results.length) b[kind] = { metadata: meta[kind], results };
    }
    if (subset) b.manifest = subsetOf(subset, chunk.map((i) => String(i.result.unique_id)));
    return b;
  };
  const split = function* (chunk: Item[]): Generator<Json> {
    const b = body(chunk);
    if (chunk.length > 1 && JSON.stringify(b).length > maxBytes) {
      const half = Math.ceil(chunk.length / 2);
      yield* split(chunk.slice(0, half));
      yield* split(chunk.slice(half));
    } else yield b;
  };
  for (let i = 0; i < items.length; i += RESULTS_PER_REQUEST) yield* split(items.slice(i, i + RESULTS_PER_REQUEST));
}

/** `tocsin dbt`: reads the artifacts of a dbt invocation and uploads them to a dbt source of a running gateway. */
export async function uploadDbtRun(path: string, o: DbtUploadOptions, io: DbtIo): Promise<void> {
  const token = o.token ?? process.env.TOCSIN_SOURCE_TOKEN;
  if (!token) throw new CliError('no source token: pass --token or set TOCSIN_SOURCE_TOKEN', EXIT.usage);

  const first = readJson(path, 'artifact');
  const firstKind = artifactKind(first);
  if (firstKind !== 'run_results' && firstKind !== 'sources') {
    throw new CliError(`${path} is not a dbt run_results.json or sources.json (dbt_schema_version: ${String((first.metadata as Json | undefined)?.dbt_schema_version ?? 'missing')})`, EXIT.usage);
  }
  const artifacts: Partial<Record<Item['kind'], Json>> = { [firstKind]: first };
  if (o.sources) {
    const s = readJson(o.sources, 'sources');
    if (artifactKind(s) !== 'sources') throw new CliError(`${o.sources} is not a dbt sources.json`, EXIT.usage);
    artifacts.sources = s;
  }

  const items: Item[] = [];
  const meta = {} as Record<Item['kind'], Json>;
  for (const kind of ['run_results', 'sources'] as const) {
    if (!artifacts[kind]) continue;
    const slim = slimArtifact(artifacts[kind]);
    meta[kind] = slim.metadata;
    items.push(...slim.results.filter((r) => typeof r.unique_id === 'string').map((result) => ({ kind, result })));
  }
  if (!items.length) {
    io.out(o.json ? `${JSON.stringify({ results: 0, requests: 0 })}\n` : 'dbt: no results in the artifacts; nothing to upload\n');
    return;
  }

  // dbt writes manifest.json next to run_results.json; using it by default gives owners and model names for free.
  const sibling = join(dirname(path), 'manifest.json');
  const manifestPath = o.manifest ?? (existsSync(sibling) ? sibling : undefined);
  const subset = manifestPath ? await readManifestSubset(manifestPath, new Set(items.map((i) => String(i.result.unique_id))), io) : undefined;

  const counts = { created: 0, updated: 0, resolved: 0, unchanged: 0 };
  let requests = 0;
  for (const body of batches(items, meta, subset, o.maxRequestBytes)) {
    let answer: IngestAnswer;
    try {
      answer = (await call<IngestAnswer>(o, 'POST', `/ingest/${encodeURIComponent(o.source)}`, token, body)).body;
    } catch (e) {
      if (requests) io.err(`dbt: ${requests} upload(s) were accepted before this failure; running the command again is safe\n`);
      throw e;
    }
    requests++;
    for (const r of answer.results ?? []) {
      counts[r.result] = (counts[r.result] ?? 0) + 1;
      if (r.result !== 'unchanged' && !o.json) io.out(`${r.result.padEnd(9)} ${r.dedup_key}\n`);
    }
  }
  const total = counts.created + counts.updated + counts.resolved + counts.unchanged;
  if (o.json) {
    io.out(`${JSON.stringify({ source: o.source, results: items.length, alerts: total, ...counts, requests, manifest: manifestPath ?? null }, null, 2)}\n`);
    return;
  }
  io.out(
    `dbt: ${items.length} results → ${total} alerts to source "${o.source}": ${counts.created} created, ${counts.updated} updated, ` +
      `${counts.resolved} resolved, ${counts.unchanged} unchanged${manifestPath ? '' : ' (no manifest: names and owners from unique_ids only)'}\n`,
  );
}

export function registerDbtCommand(program: Command): void {
  program
    .command('dbt')
    .description('upload the results of a dbt invocation (run_results.json, optionally sources.json) to a dbt source')
    .argument('<run_results.json>', 'target/run_results.json (or a sources.json from dbt source freshness)')
    .option('--manifest <file>', 'manifest.json for owners, tags and model names (default: manifest.json next to run_results.json)')
    .option('--sources <file>', 'sources.json from dbt source freshness')
    .option('--source <name>', 'the tocsin source of type dbt', 'dbt')
    .option('--gateway <url>', 'gateway URL (default: $TOCSIN_URL or http://127.0.0.1:8080)', gatewayOption)
    .option('--timeout <seconds>', 'give up on a request after this long', seconds, DEFAULT_TIMEOUT_S)
    .option('--json', 'print a JSON summary')
    .option('--token <token>', "the source's token (default: $TOCSIN_SOURCE_TOKEN)")
    .option('--max-request-bytes <n>', 'split uploads above this size (keep under the source body_limit)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 10_000) throw new CliError(`--max-request-bytes takes a whole number of bytes ≥ 10000, got "${v}"`, EXIT.usage);
      return n;
    }, 900_000)
    .action(async (path: string, opts: DbtUploadOptions) => {
      await uploadDbtRun(path, opts, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), isTTY: !!process.stderr.isTTY });
    });
}
