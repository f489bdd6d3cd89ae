import { execFileSync, spawn } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandEnv, type ConfigProblem } from './expand.ts';
import { buildConfig, ConfigError, loadConfigFile } from './load.ts';
import { readTextCapped } from './read-file.ts';
import { yamlDocument } from './yaml-document.ts';

// Config mistakes and hostile files found by hostile testing (issue 13): each is one problem naming where, never a
// hang, a stack trace or a value silently kept.

const T = 'x'.repeat(20);
const dir = () => mkdtempSync(join(tmpdir(), 'tocsin-hostile-config-'));
const doc = (over: Record<string, unknown> = {}) => ({ sources: { app: { type: 'alerts', token: T } }, ...over });

function problems(d: unknown, env: NodeJS.ProcessEnv = {}, base = '/tmp'): string[] {
  try {
    buildConfig(d, env, base);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected a config error');
}

function loadProblems(text: string): string[] {
  const d = dir();
  writeFileSync(join(d, 'tocsin.yaml'), text);
  try {
    loadConfigFile(join(d, 'tocsin.yaml'), {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, `not a ConfigError: ${(err as Error)?.stack}`);
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected a config error');
}

test('an alias bomb (billion laughs) is one config problem, not a stack trace', () => {
  const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
    const prev = String.fromCharCode('a'.charCodeAt(0) + i);
    levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const p = loadProblems(`${levels.join('\n')}\n`);
  assert.equal(p.length, 1);
  assert.match(p[0]!, /^YAML: aliases \(\*name\) expand to too many nodes/);
});

test('a self-referencing alias and extreme nesting are refused with the path, not a stack overflow', () => {
  const self = loadProblems('sources: &s\n  app: { type: alerts, token: xxxxxxxxxxxxxxxxxxxx, more: *s }\n');
  assert.equal(self.length, 1, self.join('\n'));
  const deep = loadProblems(`sources: ${'['.repeat(3000)}${']'.repeat(3000)}\n`);
  assert.equal(deep.length, 1, deep.join('\n'));
  assert.match(deep[0]!, /nested|nesting|deep/i);
  const block = yamlDocument(`a:\n${Array.from({ length: 70 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')} 1\n`);
  assert.ok(!block.ok);
  assert.match(block.problems[0]!.path, /^a\.k0\.k1\.k2/);
  assert.match(block.problems[0]!.message, /nested more than 64 levels deep/);
});

test('token_file: /dev/zero, a directory or a huge file is refused at once; a symlink to a file is read', () => {
  const d = dir();
  mkdirSync(join(d, 'secrets'));
  writeFileSync(join(d, 'big'), 'x'.repeat(70 * 1024));
  writeFileSync(join(d, 'token'), `${T}\n`);
  symlinkSync(join(d, 'token'), join(d, 'link'));
  const started = Date.now();
  const cases: [string, RegExp][] = [
    ['/dev/zero', /cannot read \/dev\/zero: not a regular file/],
    ['/dev/urandom', /not a regular file/],
    ['secrets', /cannot read secrets: it is a directory/],
    ['big', /cannot read big: larger than 65536 bytes/],
  ];
  for (const [file, expected] of cases) {
    const p = problems(doc({ sources: { app: { type: 'alerts', token_file: file } } }), {}, d);
    assert.equal(p.length, 1, p.join('\n'));
    assert.match(p[0]!, /^sources\.app\.token_file: /);
    assert.match(p[0]!, expected);
  }
  assert.ok(Date.now() - started < 2000, 'reading refused files must not take time');
  const c = buildConfig(doc({ sources: { app: { type: 'alerts', token_file: 'link' } } }), {}, d);
  assert.equal(c.sources.get('app')!.token, T);
});

test('the config file itself is read with a cap: /dev/zero is refused, not read for ever; a pipe is read', () => {
  const started = Date.now();
  assert.throws(() => loadConfigFile('/dev/zero', {}), (e: ConfigError) => /cannot read config file \/dev\/zero: not a regular file/.test(e.message));
  assert.ok(Date.now() - started < 2000);
  // `--config <(envsubst < tocsin.yaml)`: a pipe, read to its end, and only up to the cap.
  const d = dir();
  writeFileSync(join(d, 'plain.yaml'), `sources: { app: { type: alerts, token: ${T} } }\n`);
  execFileSync('mkfifo', [join(d, 'fifo'), join(d, 'endless')]);
  const writers = [
    spawn('sh', ['-c', 'cat plain.yaml > fifo'], { cwd: d, stdio: 'ignore' }),
    spawn('sh', ['-c', 'cat /dev/zero > endless'], { cwd: d, stdio: 'ignore' }),
  ];
  try {
    assert.equal(loadConfigFile(join(d, 'fifo'), {}).sources.get('app')!.token, T);
    assert.throws(() => loadConfigFile(join(d, 'endless'), {}), /endless: larger than 1048576 bytes/);
  } finally {
    for (const w of writers) w.kill();
  }
});

test('readTextCapped: exactly at the cap is read, one byte past is refused', () => {
  const d = dir();
  writeFileSync(join(d, 'f'), 'abcd');
  assert.deepEqual(readTextCapped(join(d, 'f'), 4, { regularOnly: true }), { ok: true, text: 'abcd' });
  assert.deepEqual(readTextCapped(join(d, 'f'), 3, { regularOnly: true }), { ok: false, reason: 'larger than 3 bytes' });
  assert.deepEqual(readTextCapped(join(d, 'none'), 3, { regularOnly: true }), { ok: false, reason: 'ENOENT' });
});

test('listen with a port past 65535 fails check-config, not start', () => {
  for (const listen of ['127.0.0.1:99999', '127.0.0.1:65536', '[::1]:70000']) {
    assert.deepEqual(problems(doc({ listen })), ['listen: the port must be between 0 and 65535'], listen);
  }
  assert.equal(buildConfig(doc({ listen: '127.0.0.1:65535' }), {}, '/').listen.port, 65535);
});

test('request_timeout: a duration between 1s and 1h, 30s by default', () => {
  assert.equal(buildConfig(doc(), {}, '/').requestTimeoutMs, 30_000);
  assert.equal(buildConfig(doc({ request_timeout: '2s' }), {}, '/').requestTimeoutMs, 2000);
  assert.match(problems(doc({ request_timeout: '500ms' })).join(), /^request_timeout: must be between 1s and 1h/);
});

test('__proto__ as a source or destination name (or any key) is refused, never silently dropped', () => {
  // As YAML gives it: an own property named __proto__ (JSON.parse does the same).
  const sources = JSON.parse(`{"__proto__": {"type": "alerts", "token": "${T}"}, "app": {"type": "alerts", "token": "${T}"}}`);
  assert.deepEqual(problems({ sources }), ['sources.__proto__: "__proto__" cannot be used as a name or key; choose another']);
  const destinations = JSON.parse(`{"__proto__": {"type": "incident_io_alert_source"}}`);
  assert.deepEqual(problems(doc({ destinations })), ['destinations.__proto__: "__proto__" cannot be used as a name or key; choose another']);
  const p = loadProblems(`sources:\n  __proto__: { type: alerts, token: ${T} }\n`);
  assert.deepEqual(p, ['sources.__proto__: "__proto__" cannot be used as a name or key; choose another']);
});

test('a malformed ${VAR} reference is an error naming the key, never kept as the token', () => {
  const cases: [string, RegExp][] = [
    ['${ APP_TOKEN }', /^sources\.app\.token: \$\{ APP_TOKEN \} is not a valid \$\{VAR\} reference/],
    ['${1APP}', /^sources\.app\.token: \$\{1APP\} is not a valid \$\{VAR\} reference/],
    ['${APP_TOKEN', /^sources\.app\.token: an unclosed \$\{ is not a valid/],
    ['prefix-${}-x', /^sources\.app\.token: a \$\{…\} reference is not a valid/],
    // The value around a bad reference may be a secret: a reference that is not plainly a name is not quoted.
    ['s3cr3t${p@ss}word', /^sources\.app\.token: a \$\{…\} reference is not a valid/],
  ];
  for (const [token, expected] of cases) {
    const p = problems(doc({ sources: { app: { type: 'alerts', token } } }), { APP_TOKEN: T, APP: T });
    assert.equal(p.length, 1, `${token}: ${p.join('\n')}`);
    assert.match(p[0]!, expected);
    assert.doesNotMatch(p[0]!, /s3cr3t|word/);
  }
});

test('well-formed references, defaults and $$ still expand as before', () => {
  const problemsSeen: ConfigProblem[] = [];
  const env = { A: 'one', B_2: 'two' };
  assert.equal(expandEnv('${A}-${B_2}-${C:-three}-$${A}-$$-a$b', env, 'k', problemsSeen), 'one-two-three-${A}-$-a$b');
  assert.equal(expandEnv('${C:-}', env, 'k', problemsSeen), '');
  assert.deepEqual(problemsSeen, []);
});
