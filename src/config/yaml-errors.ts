import { CST, Lexer, type YAMLError } from 'yaml';
import type { ConfigProblem } from './expand.ts';

const ENV_REF_AT = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}/;

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/**
 * Unquoted `${VAR}` inside a flow collection (`{ token: ${X} }`): YAML reads `{` as the start of a nested mapping,
 * so the parser reports a cascade of errors that never mention the real cause. Found with the lexer, which sees
 * a plain scalar ending in `$` directly followed by a flow-map start.
 */
export function unquotedEnvRefsInFlow(text: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  let offset = 0;
  let depth = 0;
  let plain: { value: string; end: number } | undefined;
  let afterScalarMarker = false;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    // Control tokens (document start, scalar marker, flow end) take no room in the source.
    if (token === CST.DOCUMENT || token === CST.FLOW_END || token === CST.SCALAR) {
      afterScalarMarker = token === CST.SCALAR;
      continue;
    }
    if (type === 'flow-map-start' && depth > 0 && plain && plain.end === offset && plain.value.endsWith('$')) {
      const start = offset - 1;
      const ref = ENV_REF_AT.exec(text.slice(start))?.[0];
      if (ref) {
        const { line, col } = lineCol(text, start);
        out.push({ path: `line ${line}, column ${col}`, message: `${ref} inside { } or [ ] must be quoted: write "${ref}"` });
      }
    }
    if (type === 'flow-map-start' || type === 'flow-seq-start') depth++;
    if ((type === 'flow-map-end' || type === 'flow-seq-end') && depth > 0) depth--;
    plain = afterScalarMarker && type === null ? { value: token, end: offset + token.length } : undefined;
    afterScalarMarker = false;
    offset += token.length;
  }
  return out;
}

/**
 * The problems to show for a YAML file that does not parse: the unquoted `${VAR}`s in flow collections when there
 * are any (the usual cause, one line each), else the parser's first error. Later parser errors mostly follow from
 * the first, so they are counted, not listed.
 */
export function yamlSyntaxProblems(text: string, errors: readonly YAMLError[]): ConfigProblem[] {
  const refs = unquotedEnvRefsInFlow(text);
  if (refs.length) return refs;
  const first = errors[0]!;
  const pos = first.linePos?.[0];
  const more = errors.length > 1 ? ` (${errors.length - 1} more parser error${errors.length > 2 ? 's' : ''} may follow from this one)` : '';
  // The parser quotes the source text it tripped on, which may be a secret written in the wrong place: the line and
  // column say where, the text itself is left out.
  const message = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').replace(/"[^"]*"/g, '"…"');
  return [{ path: pos ? `line ${pos.line}, column ${pos.col}` : 'YAML', message: `${message}${more}` }];
}
