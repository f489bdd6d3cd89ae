import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface ConfigProblem {
  path: string;
  message: string;
}

const ENV_REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** `${VAR}` and `${VAR:-default}` in any string value; `$$` is a literal `$`. An unset variable is an error. */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path: string, problems: ConfigProblem[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (whole, name: string | undefined, fallback: string | undefined) => {
      if (whole === '$$') return '$';
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
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, env, path ? `${path}.${k}` : k, problems);
    return out;
  }
  return value;
}

/** The keys that hold secrets. Each is also accepted as `<key>_file`, read from disk (Docker/Kubernetes secrets). */
export const SECRET_KEYS = ['token', 'admin_token', 'api_key'] as const;

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
    try {
      out[key] = readFileSync(resolve(baseDir, file), 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      // The message names the file, never its content.
      problems.push({ path: at, message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}` });
    }
  }
  return out;
}
