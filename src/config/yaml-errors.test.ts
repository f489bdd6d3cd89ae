import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, loadConfigFile } from './load.ts';
import { unquotedEnvRefsInFlow, yamlSyntaxProblems } from './yaml-errors.ts';

const problemsOf = (text: string) => {
  const doc = parseDocument(text, { prettyErrors: true });
  assert.ok(doc.errors.length, 'expected the text not to parse');
  return yamlSyntaxProblems(text, doc.errors).map((p) => `${p.path}: ${p.message}`);
};

test('an unquoted ${VAR} in a flow mapping is one line saying how to write it', () => {
  const text = 'listen: 127.0.0.1:8080\nsources:\n  app: { type: alerts, token: ${APP_TOKEN} }     # comment\n';
  assert.deepEqual(problemsOf(text), ['line 3, column 31: ${APP_TOKEN} inside { } or [ ] must be quoted: write "${APP_TOKEN}"']);
});

test('each unquoted reference in flow collections is named once, with its default', () => {
  const text = 'a: [${X:-x}, "${Y}"]\nb: { c: ${Z}, d: \'${W}\' }\n';
  assert.deepEqual(problemsOf(text), [
    'line 1, column 5: ${X:-x} inside { } or [ ] must be quoted: write "${X:-x}"',
    'line 2, column 9: ${Z} inside { } or [ ] must be quoted: write "${Z}"',
  ]);
});

test('quoted references in flow collections and plain ones in block context are fine', () => {
  for (const ok of ['a: { token: "${X}" }\n', "a: [ '${X}' ]\n", 'a:\n  token: ${X}\n', 'a: ${X:-default}\n', 'a: { url: "https://x/${X}" }\n']) {
    assert.deepEqual(parseDocument(ok).errors, [], ok);
    assert.deepEqual(unquotedEnvRefsInFlow(ok), [], ok);
  }
});

test('any other syntax error is its first parser error, on one line, with the count of the rest', () => {
  const p = problemsOf('sources:\n  app: { type: alerts\n  other: x\n');
  assert.equal(p.length, 1);
  assert.match(p[0]!, /^line \d+, column \d+: .+/);
  assert.doesNotMatch(p[0]!, /\n/);
});

test('loadConfigFile: the README mistake costs one line, not a hundred', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-yaml-'));
  const path = join(dir, 'c.yaml');
  writeFileSync(path, 'sources:\n  app: { type: alerts, token: ${APP_TOKEN} }\ndestinations:\n  oncall:\n    type: incident_io_alert_source\n');
  assert.throws(
    () => loadConfigFile(path, {}),
    (e: ConfigError) => e.problems.length === 1 && e.message.split('\n').length === 2 && /write "\$\{APP_TOKEN\}"/.test(e.message),
  );
});

test('a parser message never repeats the source text it tripped on (it may be a misplaced secret)', () => {
  const secret = 'sk-live-0123456789abcdef';
  assert.deepEqual(problemsOf(`a: b\n}${secret}\n`), ['line 2, column 1: Unexpected flow-map-end token in YAML stream: "…" (1 more parser error may follow from this one)']);
});
