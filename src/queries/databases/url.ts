/** Database URLs: which connector, and the form that may be shown (credentials masked). Pure. */

export type DatabaseKind = 'postgres' | 'sqlite' | 'duckdb';

export function databaseKind(url: string): DatabaseKind | undefined {
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgres';
  if (/^sqlite:/i.test(url)) return 'sqlite';
  if (/^duckdb:/i.test(url)) return 'duckdb';
  return undefined;
}

/** The file path of `sqlite:PATH` / `sqlite://PATH` / `duckdb:PATH` (`duckdb:` alone, or `:memory:`, is in memory). */
export function filePath(url: string): string {
  const rest = url.replace(/^(sqlite|duckdb):(\/\/)?/i, '');
  return rest === '' ? ':memory:' : decodeURIComponent(rest.replace(/\?.*$/, ''));
}

/**
 * What may be shown of a url: scheme, host, port and database; a user name and password become `***`, query
 * parameters (they may carry a password too) are dropped.
 */
export function maskUrl(url: string): string {
  const kind = databaseKind(url);
  if (kind !== 'postgres') return url.replace(/\?.*$/, '');
  try {
    const u = new URL(url);
    const cred = u.username || u.password ? '***@' : '';
    return `${u.protocol}//${cred}${u.host}${u.pathname}`;
  } catch {
    return `${url.slice(0, url.indexOf(':'))}://***`;
  }
}

/** An error message that might quote the url or its password (a driver's own message), with those taken out. */
export function scrubSecrets(message: string, url: string): string {
  let out = message.split(url).join(maskUrl(url));
  try {
    const u = new URL(url);
    for (const secret of [u.password, decodeURIComponent(u.password)]) if (secret.length >= 3) out = out.split(secret).join('***');
  } catch {
    /* not a URL with credentials */
  }
  return out;
}
