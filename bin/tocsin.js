#!/usr/bin/env node
// Production runs the compiled JavaScript in dist/ (`npm run build`; the packed package ships nothing else). A
// checkout without a current build runs the TypeScript sources through tsx, so `npx tocsin` works right after
// `npm install`, and an edited source is never shadowed by an older build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = `${root}/dist/cli/main.js`;
const sources = `${root}/src`;

/** The build writes dist/.built last; a source (not a test) changed after it means the build is out of date. */
function buildIsCurrent() {
  if (!existsSync(compiled)) return false;
  if (!existsSync(sources)) return true; // an installed package: dist/ is all there is
  let built;
  try {
    built = statSync(`${root}/dist/.built`).mtimeMs;
  } catch {
    return false;
  }
  for (const f of readdirSync(sources, { recursive: true })) {
    if (typeof f !== 'string' || f.endsWith('.test.ts') || f.includes('testdata')) continue;
    const s = statSync(`${sources}/${f}`);
    if (s.isFile() && s.mtimeMs > built) return false;
  }
  return true;
}

async function runSources() {
  if (!existsSync(sources)) return false;
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    return false; // a checkout installed without dev dependencies
  }
  // tsx compiles on a loader thread with a V8 heap of its own, created by register(). It allocates little once the
  // sources are loaded, so a 1 MB young generation (instead of up to 16 MB) is plenty, and the difference stays
  // resident for as long as tocsin runs (bench/memory.ts). Heap-sizing flags only reach heaps created after them.
  // The compiled build has no loader thread, so it needs none of this.
  setFlagsFromString('--max-semi-space-size=1');
  tsx.register();
  await import('../src/cli/main.ts');
  return true;
}

const current = buildIsCurrent();
if (current || !(await runSources())) {
  if (!existsSync(compiled)) {
    process.stderr.write('tocsin: no build in dist/ and no tsx to run the sources: run `npm install`, or `npm run build`\n');
    process.exit(1);
  }
  if (!current) process.stderr.write('tocsin: warning: dist/ is older than src/ and tsx is not installed: running the older build (`npm run build` updates it)\n');
  await import(pathToFileURL(compiled).href);
}
