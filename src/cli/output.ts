import { call, type ClientOptions } from './http-client.ts';

/** `--json` prints the API's answer as it came; otherwise the human text. */
export function output(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(`${json ? JSON.stringify(value, null, 2) : text()}\n`);
}

/** The API's largest page. */
const PAGE = 500;

/**
 * Follows `next_cursor` until `want` items are in hand (Infinity: all of them). The last page asks for one more
 * than needed, so `more` is true only when something really was left out.
 */
export async function collectPages<T>(o: ClientOptions, token: string | undefined, path: string, params: Record<string, string>, key: string, want: number): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (;;) {
    const q = new URLSearchParams({ ...params, limit: String(Math.min(PAGE, want - items.length + 1)), ...(cursor ? { cursor } : {}) });
    const r: { body: Record<string, unknown> } = await call<Record<string, unknown>>(o, 'GET', `${path}?${q}`, token);
    items.push(...((r.body[key] as T[] | undefined) ?? []));
    if (items.length > want) return { items: items.slice(0, want), more: true };
    cursor = r.body.next_cursor == null ? null : String(r.body.next_cursor);
    if (!cursor) return { items, more: false };
  }
}

/** ISO time from the API, shortened for a table: `2025-06-01 12:03:04`. */
export const shortTime = (iso: unknown) => (typeof iso === 'string' ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, '') : iso);

/** `--limit` and `--all` of the list commands: how many items to gather across pages. */
export const listSize = (o: { limit?: number; all?: boolean }): number => (o.all ? Infinity : (o.limit ?? 50));

export const moreNote = (what: string, shown: number) => `showing the ${shown} most recent ${what}; there are more: --limit N or --all\n`;
