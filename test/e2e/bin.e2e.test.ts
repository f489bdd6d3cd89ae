/**
 * bin/tocsin.js picks what to run: the compiled dist/ when it is current (or when it is all there is, as in the
 * installed package), the TypeScript sources through tsx otherwise. Run on a miniature checkout whose two entry points
 * say which one ran.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../harness.ts';

interface Layout {
  dist?: boolean;
  /** Seconds since the epoch of dist/.built; the sources are dated 1000. */
  builtAt?: number;
  src?: boolean;
  tsx?: boolean;
}

function miniature({ dist = true, builtAt = 2000, src = true, tsx = true }: Layout): string {
  const root = tempDir('tocsin-bin-');
  mkdirSync(join(root, 'bin'));
  copyFileSync(join(ROOT, 'bin/tocsin.js'), join(root, 'bin/tocsin.js'));
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  if (src) {
    mkdirSync(join(root, 'src/cli'), { recursive: true });
    const main = join(root, 'src/cli/main.ts');
    writeFileSync(main, "const ran: string = 'sources';\nprocess.stdout.write(`${ran}\\n`);\n");
    utimesSync(main, 1000, 1000);
    // A test edited after the build does not make the build old: tests are not in it.
    writeFileSync(join(root, 'src/cli/main.test.ts'), '');
  }
  if (dist) {
    mkdirSync(join(root, 'dist/cli'), { recursive: true });
    writeFileSync(join(root, 'dist/cli/main.js'), "process.stdout.write('dist\\n');\n");
    writeFileSync(join(root, 'dist/.built'), '');
    utimesSync(join(root, 'dist/.built'), builtAt, builtAt);
  }
  if (tsx) symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  return root;
}

function run(root: string) {
  const r = spawnSync(process.execPath, [join(root, 'bin/tocsin.js')], { cwd: tempDir(), encoding: 'utf8' });
  rmSync(root, { recursive: true, force: true });
  return { code: r.status, ran: r.stdout.trim(), stderr: r.stderr.trim() };
}

test('a current build runs from dist/', () => {
  assert.deepEqual(run(miniature({})), { code: 0, ran: 'dist', stderr: '' });
});

test('a source edited after the build runs the sources through tsx', () => {
  assert.deepEqual(run(miniature({ builtAt: 500 })), { code: 0, ran: 'sources', stderr: '' });
});

test('a checkout without a build runs the sources', () => {
  assert.deepEqual(run(miniature({ dist: false })), { code: 0, ran: 'sources', stderr: '' });
});

test('an installed package (dist/, no sources, no tsx) runs dist/', () => {
  assert.deepEqual(run(miniature({ src: false, tsx: false })), { code: 0, ran: 'dist', stderr: '' });
});

test('an old build without tsx to run the sources: the old build, with a warning', () => {
  const r = run(miniature({ builtAt: 500, tsx: false }));
  assert.equal(r.ran, 'dist');
  assert.match(r.stderr, /warning: dist\/ is older than src\/ and tsx is not installed/);
});

test('neither a build nor tsx: exit 1 saying what to run', () => {
  const r = run(miniature({ dist: false, tsx: false }));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no build in dist\/ and no tsx to run the sources: run `npm install`, or `npm run build`/);
});
