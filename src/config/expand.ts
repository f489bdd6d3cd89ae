import { resolve } from 'node:path';
import { readTextCapped } from './read-file.ts';

export interface ConfigProblem {
  path: string;
  message: string;
}

/**
 * `$$`, or `${` up to the next `}` (or the end: an unclosed one), checked by VALID_REF. A reference that is not
 * well-formed (`${ VAR }`, `${1VAR}`, `${VAR`) is an error: kept literally it silently became the token.
 */
const ENV_REF = /\$\$|\$\{([^}]*)(\})?/g;
const VALID_REF = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/** The key that would replace an object's prototype instead of holding a value: a name or key it can never be. */
const PROTO = '__proto__';

function checkedKey(k: string, at: string, problems: ConfigProblem[]): boolean {
  if (k !== PROTO) return true;
  problems.push({ path: at, message: `"${PROTO}" cannot be used as a name or key; choose another` });
  return false;
}

/** `${VAR}` and `${VAR:-default}` in any string value; `$$` is a literal `$`. An unset variable is an error. */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path: string, problems: ConfigProblem[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (whole, inner: string | undefined, closed: string | undefined) => {
      if (whole === '$$') return '$';
      const ref = closed ? VALID_REF.exec(inner!) : null;
      if (!ref) {
        // The value may be a secret with a `${` in it: the reference is quoted only when it is plainly a name.
        const shown = closed && /^[\sA-Za-z0-9_]{1,40}$/.test(inner!) ? whole : closed ? 'a ${…} reference' : 'an unclosed ${';
        problems.push({
          path,
          message: `${shown} is not a valid \${VAR} reference (a name of letters, digits and _, not starting with a digit, no spaces, closed by }); write $$ for a literal $`,
        });
        return '';
      }
      const [, name, fallback] = ref;
      const v = env[name!];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      problems.push({ path, message: `environment variable ${name} is not set (export it, or use \${${name}:-default})` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${path}[${i}]`, problems));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const at = path ? `${path}.${k}` : k;
      if (checkedKey(k, at, problems)) out[k] = expandEnv(v, env, at, problems);
    }
    return out;
  }
  return value;
}

/**
 * The keys that hold secrets. Each is also accepted as `<key>_file`, read from disk (Docker/Kubernetes secrets). `ca`
 * (a PEM certificate authority for storage.postgres.tls) is not secret, but is given as a file the same way. `secret` (a
 * webhook's signing secret) and `webhook_url` (a Slack incoming webhook, whose URL is its credential) are notification
 * destinations'.
 */
export const SECRET_KEYS = ['token', 'admin_token', 'api_key', 'url', 'password', 'ca', 'secret', 'webhook_url'] as const;

/** A token is a few dozen bytes; a file much larger than that is the wrong file (or `/dev/zero`). */
export const MAX_SECRET_BYTES = 64 * 1024;

export function resolveSecretFiles(value: unknown, baseDir: string, path: string, problems: ConfigProblem[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveSecretFiles(v, baseDir, `${path}[${i}]`, problems));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = resolveSecretFiles(v, baseDir, path ? `${path}.${k}` : k, problems);
  for (const key of SECRET_KEYS) {
    const fileKey = `${key}_file`;
    if (!(fileKey in out)) continue;
    const at = path ? `${path}.${fileKey}` : fileKey;
    if (key in out && out[key] !== undefined && out[key] !== '') {
      problems.push({ path: at, message: `set either ${key} or ${fileKey}, not both` });
      continue;
    }
    const file = out[fileKey];
    delete out[fileKey];
    if (typeof file !== 'string' || file === '') {
      problems.push({ path: at, message: 'must be a path to a file holding the secret' });
      continue;
    }
    const read = readTextCapped(resolve(baseDir, file), MAX_SECRET_BYTES, { regularOnly: true });
    // The message names the file, never its content.
    if (read.ok) out[key] = read.text.replace(/\r?\n$/, '');
    else problems.push({ path: at, message: `cannot read ${file}: ${read.reason}` });
  }
  return out;
}
