import type { DatabaseConfig } from '../config.ts';
import { duckdbConnector } from './duckdb.ts';
import { postgresConnector } from './postgres.ts';
import { sqliteConnector } from './sqlite.ts';
import type { Connector } from './types.ts';

export function connect(d: Pick<DatabaseConfig, 'kind' | 'url'>): Connector {
  if (d.kind === 'postgres') return postgresConnector(d.url);
  if (d.kind === 'sqlite') return sqliteConnector(d.url);
  return duckdbConnector(d.url);
}

/**
 * The connectors of the databases configured now, one per url (a reload that changes a url gets a new one, and the
 * old one is closed; one that keeps it keeps its connections).
 */
export class Connectors {
  private readonly open = new Map<string, Connector>();

  get(d: DatabaseConfig): Connector {
    let c = this.open.get(d.url);
    if (!c) this.open.set(d.url, (c = connect(d)));
    return c;
  }

  /** Closes those whose url is no longer configured. */
  async keepOnly(databases: Iterable<DatabaseConfig>): Promise<void> {
    const urls = new Set([...databases].map((d) => d.url));
    for (const [url, c] of this.open) {
      if (urls.has(url)) continue;
      this.open.delete(url);
      await c.close();
    }
  }

  async closeAll(): Promise<void> {
    await this.keepOnly([]);
  }
}
