#!/usr/bin/env node
// The checkout runs from TypeScript sources through tsx: no build step between `npm install` and `npx tocsin`.
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// tsx compiles on a loader thread with a V8 heap of its own, created by register(). It allocates little once the
// sources are loaded, so a 1 MB young generation (instead of up to 16 MB) is plenty, and the difference stays
// resident for as long as tocsin runs (bench/memory.ts). Heap-sizing flags only reach heaps created after them.
setFlagsFromString('--max-semi-space-size=1');
register();
await import('../src/cli/main.ts');
