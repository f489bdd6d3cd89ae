/**
 * Docs that run: every ```yaml block in README.md, docs/*.md and src/emulator/README.md must parse, and every block
 * that is a tocsin config must pass the real `tocsin check-config`.
 *
 * The rule: a block whose top level is a mapping with at least one of tocsin's top-level keys (sources,
 * destinations, routes, listen, ...) is a tocsin config, checked whole, with every `${VAR}` it references set to a
 * dummy value of the right shape. A block that shows only part of a config (the keys of one source, a route
 * alone) starts with a `# fragment` comment line and is only parsed. Other tools' YAML (alertmanager.yml, CI
 * steps) has none of tocsin's keys and is only parsed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { configSchema } from '../../src/config/schema.ts';
import { BIN, ROOT, tempDir } from '../harness.ts';

interface Block {
  file: string;
  line: number;
  text: string;
}

function yamlBlocks(path: string): Block[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*ya?ml\b/i.exec(lines[i]!);
    if (!open) continue;
    const [, indent = '', fence = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`).test(lines[j]!); j++) {
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!);
    }
    out.push({ file: relative(ROOT, path), line: i + 1, text: `${body.join('\n')}\n` });
    i = j;
  }
  return out;
}

const docs = [
  join(ROOT, 'README.md'),
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join(ROOT, 'docs', f)),
  join(ROOT, 'src/emulator/README.md'),
].filter((p) => existsSync(p));
const blocks = docs.flatMap(yamlBlocks);
const TOP_LEVEL_KEYS = new Set(Object.keys(configSchema.shape));

const isFragment = (text: string) => /^#\s*fragment\b/i.test(text.trimStart());

function isTocsinConfig(doc: unknown): boolean {
  return doc !== null && typeof doc === 'object' && !Array.isArray(doc) && Object.keys(doc).some((k) => TOP_LEVEL_KEYS.has(k));
}

/** A value a real deployment would put there: IDs look like incident.io's, secrets are long enough, URLs are URLs. */
function dummyFor(name: string): string {
  if (/_ID$/.test(name)) return '01GW2G3V0S59R238FAHPDS1R66';
  if (/^(DATABASE|POSTGRES\w*|WAREHOUSE)_URL$/.test(name)) return 'postgres://tocsin@db.internal:5432/tocsin';
  if (/URL$/.test(name)) return 'https://example.com/dummy';
  if (/WEBHOOK_SECRET$/.test(name)) return `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
  return `dummy-${name.toLowerCase().replace(/_/g, '-')}-0123456789abcdef`;
}

/** `${VAR}` without a default: each must be set for check-config; `${VAR:-x}` keeps its default; `$${...}` is literal. */
function referencedVars(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)) if (m[1] && m[2] === undefined) names.add(m[1]);
  return [...names];
}

function checkConfig(path: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // No inherited TOCSIN_* or incident.io variables: the block alone decides what check-config sees.
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TOCSIN_|INCIDENT_?IO_)/.test(k)));
    const p = spawn(process.execPath, [BIN, 'check-config', '--config', path], { cwd: tempDir(), env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (c: Buffer) => (output += c.toString()));
    p.stderr.on('data', (c: Buffer) => (output += c.toString()));
    p.on('close', (code) => resolve({ code, output }));
  });
}

describe('docs: every YAML block parses; every tocsin config passes check-config', () => {
  test('the README has a complete config to check (this test is not vacuous)', () => {
    const readme = blocks.filter((b) => b.file === 'README.md');
    const complete = readme.filter((b) => {
      const doc = parseDocument(b.text);
      return !isFragment(b.text) && doc.errors.length === 0 && isTocsinConfig(doc.toJS());
    });
    assert.ok(complete.length > 0, 'no complete config block in README.md that parses');
  });

  for (const block of blocks) {
    test(`${block.file}:${block.line}`, async () => {
      const doc = parseDocument(block.text, { prettyErrors: true });
      assert.deepEqual(
        doc.errors.map((e) => e.message.split('\n')[0]),
        [],
        `${block.file}:${block.line}: not valid YAML (a \${VAR} inside { } or [ ] must be quoted: "\${VAR}")`,
      );
      if (isFragment(block.text) || !isTocsinConfig(doc.toJS())) return;
      const dir = tempDir('tocsin-docs-');
      const path = join(dir, 'tocsin.yaml');
      writeFileSync(path, block.text);
      const env = Object.fromEntries(referencedVars(block.text).map((n) => [n, dummyFor(n)]));
      const r = await checkConfig(path, env);
      assert.equal(r.code, 0, `${block.file}:${block.line}: check-config refused it (mark a partial example with a first line "# fragment"):\n${r.output}`);
    });
  }
});
