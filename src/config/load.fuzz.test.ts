/**
 * Property tests over the config loader (issue 13, fuzzing): whatever the file holds, loading it gives a Config
 * or a ConfigError (one line per problem), in time, never another exception, a hang, or a secret in a message.
 * `${VAR}` expansion is checked against a small model of it. The hostile files of issue 13 (alias bombs, ports past
 * 65535, `__proto__` names, malformed references, special files as token_file) are regression properties here.
 * `npm run fuzz` runs the same properties longer (test/fuzz/runs.ts).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { asJson, hostileJson, hostileKey, hostileString, mutated } from '../../test/fuzz/arbitraries.ts';
import { check, runs } from '../../test/fuzz/runs.ts';
import { expandEnv, type ConfigProblem } from './expand.ts';
import { configFromEnv, sourceTokenVar } from './env-config.ts';
import { buildConfig, ConfigError, loadConfigFile, type Config } from './load.ts';

/** Every secret in the generated configs carries this: it must never show in a problem message. */
const SECRET = 'S3CRET-fuzz-marker';
const token = (n: number) => `${SECRET}-${'x'.repeat(n)}`;
const SLOW_MS = 2_000;
const dir = mkdtempSync(join(tmpdir(), 'tocsin-config-fuzz-'));
let files = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

/** A config a user could write: every top-level key, both destination kinds, routes and matchers. */
const validDoc = fc
  .record({
    listen: fc.tuple(fc.constantFrom('127.0.0.1', '0.0.0.0', '[::1]', 'localhost'), fc.integer({ min: 0, max: 65535 })).map(([h, p]) => `${h}:${p}`),
    log_level: fc.constantFrom('info', 'debug', 'warn'),
    body_limit: fc.integer({ min: 1, max: 64 * 1024 * 1024 }),
    admin_token: fc.constant(token(8)),
    sources: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/), fc.record({ type: fc.constantFrom('alerts', 'alertmanager', 'grafana', 'versus'), token: fc.constant(token(4)) }), { minKeys: 1, maxKeys: 3 }),
    destinations: fc.constant({
      oncall: { type: 'incident_io_alert_source', alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66', token: token(6), base_url: 'http://127.0.0.1:9' },
    }),
    routes: fc.array(fc.record({ match: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.oneof(fc.string({ maxLength: 8 }).filter((s) => !s.includes('$')), fc.record({ '=~': fc.constantFrom('a.*', '(x|y)', 'b+') }))), to: fc.constant('oncall') }), { maxLength: 3 }),
    delivery: fc.record({ poll_interval: fc.constantFrom('1s', '200ms', 5), max_retry_age: fc.constantFrom('24h', '1d', 3600) }, { requiredKeys: [] }),
  }, { requiredKeys: ['sources', 'destinations'] })
  .map((d) => asJson(d) as Record<string, unknown>);

/** YAML-specific trouble: anchors and aliases, merge keys, tags, several documents, tabs, odd scalars. */
const yamlTrouble = fc.constantFrom(
  'a: &x [1, 2]\nb: *x\n', 'a: *missing\n', '<<: {listen: "1.2.3.4:5"}\n', 'x: !!binary aGVsbG8=\n', 'x: !!js/function "() => 1"\n',
  'x: !custom tag\n', '---\nsources: {}\n---\nlisten: x\n', '\tsources: {}\n', 'sources: {a: {type: alerts, token: ~}}\n', 'listen: 0x1F90\n',
  'listen: 127.0.0.1:8080:80\n', 'body_limit: .inf\n', 'body_limit: -.nan\n', 'body_limit: 1e400\n', '? [a, b]\n: c\n', 'sources: [1, 2]\n',
  '%YAML 1.1\n---\nx: 1\n', 'x: "\\ud800"\n', 'x: "unterminated\n', '{"json": "is yaml"}\n', 'sources:\n  app:\n    type: alerts\n    token: ${TOKEN}\n',
);

const yamlText: fc.Arbitrary<string> = fc.oneof(
  validDoc.map((d) => stringify(d)),
  mutated(validDoc).map((d) => stringify(d)),
  hostileJson(4).map((d) => stringify(d)),
  fc.tuple(validDoc, yamlTrouble).map(([d, t]) => `${stringify(d)}${t}`),
  fc.tuple(yamlTrouble, yamlTrouble).map(([a, b]) => a + b),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.tuple(validDoc, fc.nat()).map(([d, n]) => {
    const text = stringify(d);
    return text.slice(0, n % Math.max(1, text.length));
  }),
);

type Loaded = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

function loaded(fn: () => Config): Loaded {
  const started = performance.now();
  let out: Loaded;
  try {
    out = { ok: true, config: fn() };
  } catch (e) {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${e instanceof Error ? e.stack : String(e)}`);
    out = { ok: false, problems: e.problems };
  }
  const ms = performance.now() - started;
  assert.ok(ms < SLOW_MS, `took ${Math.round(ms)} ms`);
  if (!out.ok) {
    assert.ok(out.problems.length > 0, 'a ConfigError names a problem');
    for (const p of out.problems) {
      assert.equal(typeof p.path, 'string');
      assert.equal(typeof p.message, 'string');
      assert.ok(!p.message.includes(SECRET) && !p.path.includes(SECRET), `a secret in a problem: ${p.path}: ${p.message.slice(0, 200)}`);
      assert.ok(!p.message.includes('\n    at '), `a stack trace in a problem: ${p.message.slice(0, 300)}`);
    }
  } else assertConfig(out.config);
  return out;
}

function assertConfig(c: Config): void {
  assert.ok(Number.isInteger(c.listen.port) && c.listen.port >= 0 && c.listen.port <= 65535, `port ${c.listen.port}`);
  assert.ok(typeof c.listen.host === 'string' && c.listen.host !== '');
  assert.ok(Number.isInteger(c.bodyLimit) && c.bodyLimit > 0);
  for (const [name, s] of c.sources) {
    assert.notEqual(name, '__proto__');
    assert.equal(s.name, name);
    assert.ok(typeof s.token === 'string' && s.token.length >= 16, `sources.${name}.token`);
    assert.ok(Number.isInteger(s.bodyLimit) && s.bodyLimit > 0);
  }
  for (const name of c.destinations.keys()) assert.notEqual(name, '__proto__');
  for (const r of c.routes) for (const d of r.to) assert.ok(c.destinations.has(d), `route to unknown ${d}`);
}

const load = (text: string, env: NodeJS.ProcessEnv = {}) => {
  const path = join(dir, `c${files++}.yaml`);
  writeFileSync(path, text);
  return loaded(() => loadConfigFile(path, env));
};

describe('config loader under fuzzing', () => {
  test('any file: a Config or one-line problems, in time; never another error, a stack trace or a secret', async () => {
    await check(
      fc.property(yamlText, (text) => {
        load(text, { TOKEN: token(3) });
      }),
      runs(300),
    );
  });

  test('any document: buildConfig answers a Config or a ConfigError', async () => {
    await check(
      fc.property(fc.oneof(mutated(validDoc, 3), hostileJson(4), validDoc), (doc) => {
        loaded(() => buildConfig(doc, {}, dir));
      }),
      runs(300),
    );
  });

  test('well-formed configs load, with what they say', async () => {
    await check(
      fc.property(validDoc, (doc) => {
        const out = load(stringify(doc));
        assert.ok(out.ok, JSON.stringify(!out.ok && out.problems));
        assert.deepEqual([...out.config.sources.keys()].sort(), Object.keys(doc.sources as object).sort());
        if (doc.listen) assert.equal(out.config.listen.port, Number((doc.listen as string).split(':').at(-1)));
      }),
      runs(100),
    );
  });
});

describe('${VAR} expansion against a model of it', () => {
  const varName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
  // Values may hold anything, `${` and `$$` included: they are inserted, never expanded again.
  const varValue = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('${X}', '$$', 'a}b', '${', '$'));
  type Piece = { text: string; expected: string; set?: [string, string] };
  const piece: fc.Arbitrary<Piece> = fc.oneof(
    fc.string({ maxLength: 10 }).filter((s) => !s.includes('$')).map((s) => ({ text: s, expected: s })),
    fc.constant({ text: '$$', expected: '$' }),
    fc.tuple(varName, varValue).map(([n, v]) => ({ text: `\${${n}}`, expected: v, set: [n, v] as [string, string] })),
    fc.tuple(varName, fc.string({ maxLength: 8 }).filter((s) => !s.includes('}') && !s.includes('$'))).map(([n, d]) => ({ text: `\${${n}:-${d}}`, expected: d })),
  );

  test('well-formed references expand to the variable, $$ to $, an unset one to its default', async () => {
    await check(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), (pieces) => {
        // A name is either set (to one value) or left unset for its default; pieces that contradict that are dropped.
        const env: Record<string, string> = {};
        const unset = new Set<string>();
        const usable = pieces.filter((p) => {
          if (p.set) {
            const [n, v] = p.set;
            if (unset.has(n) || (n in env && env[n] !== v)) return false;
            env[n] = v;
            return true;
          }
          const d = /^\$\{([^:}]*):-/.exec(p.text)?.[1];
          if (d === undefined) return true;
          if (d in env) return false;
          unset.add(d);
          return true;
        });
        const problems: ConfigProblem[] = [];
        const out = expandEnv(usable.map((p) => p.text).join(''), env, 'x', problems);
        assert.deepEqual(problems, []);
        assert.equal(out, usable.map((p) => p.expected).join(''));
      }),
      runs(300),
    );
  });

  test('a malformed reference is a problem, never kept as the value (was: kept, and became the token)', async () => {
    const bad = fc.oneof(
      fc.tuple(fc.constantFrom(' ', '\t', ''), varName, fc.constantFrom(' ', '\t')).map(([a, n, b]) => `\${${a}${n}${b}}`),
      fc.tuple(fc.integer({ min: 0, max: 9 }), varName).map(([d, n]) => `\${${d}${n}}`),
      varName.map((n) => `\${${n}`),
      fc.constantFrom('${}', '${-}', '${a-b}', '${a.b}', '${$}', '${{x}}'),
    );
    await check(
      fc.property(fc.string({ maxLength: 10 }).filter((s) => !s.includes('$')), bad, (prefix, ref) => {
        const out = loaded(() => buildConfig({ sources: { app: { type: 'alerts', token: `${prefix}${ref}${'y'.repeat(16)}` } } }, { X: 'x' }, dir));
        assert.ok(!out.ok, `${ref} was accepted`);
        assert.ok(out.problems.some((p) => p.path === 'sources.app.token'), JSON.stringify(out.problems));
      }),
      runs(100, { examples: [['', '${ VAR }'], ['', '${1VAR}']] }),
    );
  });
});

describe('the environment-only config under fuzzing', () => {
  // As TOCSIN_SOURCES lists them: no commas or colons (they separate), no blank names (skipped), no edge spaces (trimmed).
  const sourceName = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/), hostileKey.map((k) => k.replace(/[,:]/g, '').trim()).filter((k) => k !== ''));
  test('any environment: a Config or problems naming the variables; values are taken literally, secrets never shown', async () => {
    await check(
      fc.property(
        fc.uniqueArray(fc.tuple(sourceName, fc.option(fc.constantFrom('alerts', 'alertmanager', 'versus', 'nope', 'constructor'), { nil: undefined })), { selector: ([n]) => n.toUpperCase().replace(/[^A-Z0-9]/g, '_'), maxLength: 4 }),
        fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('$', '${X}', '$$', '${ X }', '}')), { maxLength: 4 }).map((parts) => `${SECRET}${parts.join('')}`),
        fc.option(fc.oneof(fc.constantFrom('127.0.0.1:9', '[::1]:65535', '127.0.0.1:99999', ':', ''), hostileString), { nil: undefined }),
        fc.boolean(),
        (entries, secret, listen, withId) => {
          const env: NodeJS.ProcessEnv = { X: 'expanded', TOCSIN_SOURCES: entries.map(([n, t]) => (t ? `${n}:${t}` : n)).join(','), INCIDENT_IO_ALERT_SOURCE_TOKEN: secret };
          if (withId) env.INCIDENT_IO_ALERT_SOURCE_ID = '01GW2G3V0S59R238FAHPDS1R66';
          if (listen !== undefined) env.TOCSIN_LISTEN = listen;
          for (const [n] of entries) env[sourceTokenVar(n)] = `${secret}-${n}`;
          const out = loaded(() => configFromEnv(env, dir));
          if (out.ok) {
            for (const [n] of entries) assert.equal(out.config.sources.get(n)?.token, `${secret}-${n}`, `the token of ${n} is the variable's value, $ and all`);
            assert.equal(out.config.destinations.get('incident_io')?.config.token, secret);
          }
        },
      ),
      runs(200),
    );
  });
});

describe('hostile config files of issue 13 (regression properties)', () => {
  test('alias bombs of any width and depth are one problem, in time', async () => {
    await check(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 3, max: 12 }), (width, levels) => {
        const lines = [`l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`];
        for (let i = 1; i < levels; i++) lines.push(`l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]`);
        const out = load(`${lines.join('\n')}\nsources: {app: {type: alerts, token: ${token(2)}}}\n`);
        // Small ones expand fine (and then fail as unknown keys); large ones are refused as bombs. Never a hang.
        assert.ok(!out.ok);
      }),
      runs(30, { examples: [[9, 9]] }),
    );
  });

  test('a listen port past 65535 is refused by the loader (was: passed check-config, then start crashed)', async () => {
    await check(
      fc.property(fc.integer({ min: 65536, max: 99_999 }), fc.constantFrom('127.0.0.1', '[::1]', 'localhost'), (port, host) => {
        const out = load(`listen: "${host}:${port}"\nsources: {app: {type: alerts, token: ${token(2)}}}\n`);
        assert.ok(!out.ok && out.problems.some((p) => p.path === 'listen'), JSON.stringify(!out.ok && out.problems));
      }),
      runs(20, { examples: [[99_999, '127.0.0.1']] }),
    );
  });

  test('"__proto__" (or any hostile key) as a source or destination name is refused or kept, never silently dropped', async () => {
    await check(
      fc.property(hostileKey, fc.constantFrom('sources', 'destinations'), (name, section) => {
        const entry = section === 'sources' ? `{type: alerts, token: ${token(2)}}` : `{type: incident_io_alert_source, alert_source_config_id: x, token: ${token(2)}}`;
        const others = section === 'sources' ? '' : `sources: {app: {type: alerts, token: ${token(3)}}}\n`;
        const out = load(`${others}${section}:\n  ${JSON.stringify(name)}: ${entry}\n`);
        if (out.ok) {
          const names = section === 'sources' ? [...out.config.sources.keys()] : [...out.config.destinations.keys()];
          assert.ok(names.includes(name), `${JSON.stringify(name)} was dropped without a problem`);
        }
      }),
      runs(100, { examples: [['__proto__', 'sources'], ['__proto__', 'destinations']] }),
    );
  });

  test('a source or destination type named like an Object.prototype member is an unknown type, not a TypeError', async () => {
    await check(
      fc.property(fc.constantFrom(...Object.getOwnPropertyNames(Object.prototype), '__proto__'), fc.constantFrom('sources', 'destinations'), (type, section) => {
        const doc = { sources: { app: { type: 'alerts', token: token(2) } }, [section]: { x: { type, token: token(3) } } };
        const out = loaded(() => buildConfig(asJson(doc), {}, dir));
        assert.ok(!out.ok && out.problems.some((p) => p.path === `${section}.x.type`), JSON.stringify(!out.ok && out.problems));
      }),
      runs(20, { examples: [['constructor', 'sources'], ['toString', 'destinations']] }),
    );
  });

  test('a token_file that is a device, a directory or a pipe is a problem, in time (was: /dev/zero hung check-config)', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(join(dir, 'a-dir'));
    await check(
      fc.property(fc.constantFrom('/dev/zero', '/dev/urandom', '/dev/null', fifo, join(dir, 'a-dir'), join(dir, 'missing')), fc.constantFrom('sources.app', 'admin'), (file, where) => {
        const text = where === 'admin' ? `admin_token_file: ${file}\nsources: {app: {type: alerts, token: ${token(2)}}}\n` : `sources: {app: {type: alerts, token_file: ${file}}}\n`;
        const out = load(text);
        assert.ok(!out.ok, `${file} accepted as a secret`);
      }),
      runs(12, { examples: [['/dev/zero', 'sources.app']] }),
    );
  });

  test('hostile strings as values anywhere in a valid config: loaded or refused, never thrown', async () => {
    await check(
      fc.property(validDoc, fc.array(fc.tuple(fc.constantFrom('listen', 'log_level', 'admin_token', 'body_limit', 'storage'), hostileString), { maxLength: 3 }), (doc, edits) => {
        for (const [k, v] of edits) doc[k] = v;
        load(stringify(doc));
      }),
      runs(100),
    );
  });
});
