#!/usr/bin/env node
// The checkout runs from TypeScript sources through tsx: no build step between `npm install` and `npx tocsin`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
