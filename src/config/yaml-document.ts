import { parseDocument } from 'yaml';
import type { ConfigProblem } from './expand.ts';
import { yamlSyntaxProblems } from './yaml-errors.ts';

/** A config is a few kilobytes; a file past this is not one (and is not read to its end: read-file.ts). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Deeper than any real config; deep enough structures exhaust the stack of every recursive walk after parsing. */
export const MAX_CONFIG_DEPTH = 64;

/**
 * A YAML text as plain values, or the problems that stop it, each one line. Past syntax errors, `toJS` throws on
 * an alias bomb ("billion laughs": a few lines that expand to billions of nodes; the yaml library counts alias
 * expansions and stops) and overflows the stack on extreme nesting: both were stack traces from check-config.
 */
export function yamlDocument(text: string): { ok: true; value: unknown } | { ok: false; problems: ConfigProblem[] } {
  let doc;
  try {
    doc = parseDocument(text, { prettyErrors: true });
  } catch (e) {
    return { ok: false, problems: [{ path: 'YAML', message: unreadable(e) }] };
  }
  // The parser reports its own stack overflow on extreme flow nesting (`[[[[…`) as a syntax error.
  const overflow = doc.errors.find((e) => /call stack/i.test(e.message));
  if (overflow) return { ok: false, problems: [{ path: 'YAML', message: unreadable(new RangeError(overflow.message)) }] };
  if (doc.errors.length) return { ok: false, problems: yamlSyntaxProblems(text, doc.errors) };
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    return { ok: false, problems: [{ path: 'YAML', message: unreadable(e) }] };
  }
  const deep = tooDeepAt(value, MAX_CONFIG_DEPTH);
  if (deep !== undefined) return { ok: false, problems: [{ path: deep.length > 80 ? `${deep.slice(0, 80)}…` : deep, message: `nested more than ${MAX_CONFIG_DEPTH} levels deep; no tocsin setting needs that` }] };
  return { ok: true, value };
}

function unreadable(e: unknown): string {
  if (e instanceof RangeError) return `nested too deeply to read (a tocsin config needs at most ${MAX_CONFIG_DEPTH} levels)`;
  if (e instanceof Error && /alias/i.test(e.message)) return 'aliases (*name) expand to too many nodes (an alias bomb?); write the values out, or use fewer aliases';
  return `cannot read the YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
}

/**
 * The key path where `value` goes deeper than `limit` levels, else undefined. Iterative, so a deep value cannot
 * overflow the stack here; the path is found again (recursively, at most `limit` deep) only when it is too deep.
 */
function tooDeepAt(value: unknown, limit: number): string | undefined {
  const stack: unknown[] = [value];
  const depths: number[] = [0];
  while (stack.length) {
    const v = stack.pop();
    const d = depths.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= limit) return pathTo(value, limit, '');
    for (const child of Object.values(v)) {
      stack.push(child);
      depths.push(d + 1);
    }
  }
  return undefined;
}

function pathTo(v: unknown, left: number, path: string): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  if (left === 0) return path;
  for (const [k, child] of Object.entries(v)) {
    const found = pathTo(child, left - 1, Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k);
    if (found !== undefined) return found;
  }
  return undefined;
}
