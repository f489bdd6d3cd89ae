/**
 * `npm run build`: src/ → dist/ (tsconfig.build.json), plus the files the code reads beside itself at run time, then
 * dist/.built, which bin/tocsin.js compares with the sources to tell a current build from an old one.
 * Always from scratch: a source deleted since the last build must not live on in dist/.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

/**
 * Files read at run time through `new URL('…', import.meta.url)`: today only the vendored OpenAPI schemas (the
 * emulator validates against them). Anything else that is neither code nor docs nor test data is copied too, so a
 * new asset cannot be forgotten.
 */
function isRuntimeAsset(path: string): boolean {
  if (path.endsWith('.ts') || path.endsWith('.md')) return false;
  return !path.split('/').some((part) => part === 'testdata');
}

// The stamp goes first: a `tocsin` started while this runs sees no current build and runs the sources instead.
rmSync(join(dist, '.built'), { force: true });
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

const assets = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((p) => isRuntimeAsset(p) && statSync(join(src, p)).isFile());
for (const a of assets) cpSync(join(src, a), join(dist, a));
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`);
process.stdout.write(`built dist/ (${assets.length} asset${assets.length === 1 ? '' : 's'}: ${assets.join(', ')})\n`);
