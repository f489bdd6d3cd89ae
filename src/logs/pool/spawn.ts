/**
 * Starting a worker thread from this directory, the same from the sources and from the build. From `dist/` the
 * worker is plain JavaScript beside this file. From the sources (tsx, which bin/tocsin.js registers on the main
 * thread only: a worker does not inherit it), the thread first loads tsx's API and imports the TypeScript file
 * through it. Like the SQLite child (src/queries/databases/sqlite.ts), no path is guessed from the working directory.
 *
 * V8 flags are the process's: the worker runs in the memory-saving mode `tocsin start` sets (--optimize-for-size).
 * Setting the flags off around the worker's start (its young generation is sized then) was tried: no gain measured
 * on this path (bench/logs.ts), so it is not done.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';

export function startWorker(file: string, resourceLimits: ResourceLimits, base: string = import.meta.url): Worker {
  const fromSources = base.endsWith('.ts');
  const url = new URL(fromSources ? file : file.replace(/\.ts$/, '.js'), base);
  if (!fromSources) return new Worker(url, { resourceLimits });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((t) => t.tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(base)}))`;
  return new Worker(boot, { eval: true, resourceLimits });
}
