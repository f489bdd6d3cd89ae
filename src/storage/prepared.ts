import type { Compilable, CompiledQuery, Insertable, Kysely } from 'kysely';
import type { Database, Executor } from './schema.ts';

/**
 * Queries built and compiled once, then run many times with fresh values: the ingest path's statements are small, and
 * Kysely building and compiling each one anew cost more than SQLite running it. The SQL is still the dialect's own
 * (Kysely compiles it: `?` for SQLite, `$1` for PostgreSQL), and the driver keeps the prepared statement per SQL text
 * (sqlite.ts), so a run is bind-and-step.
 *
 * A template is written like any Kysely query, with `p('name')` where a value goes; the compiled parameters are
 * matched back to those names, so the order Kysely puts them in never matters.
 */

/** What a placeholder compiles to: a string no real value starts with, naming where its value comes from. */
const MARK = '\u0000tocsin-param:';

/** Where a value goes: `p('source')` in a template; `p.list('ids', n)` for an `in (…)` list of n items. */
export interface Placeholders<A> {
  <K extends keyof A & string>(name: K): A[K];
  list<K extends keyof A & string>(name: K, n: number): A[K] extends readonly (infer T)[] ? T[] : never;
}

/** A compiled parameter: a constant the template wrote, or the `index`th item of argument `name` (or all of it). */
type Slot = { value: unknown; name?: never; index?: never } | { name: string; index: number | undefined };

interface Compiled {
  query: CompiledQuery;
  slots: Slot[];
}

/**
 * Compiled queries per database. The key is the database's dialect adapter, which its transactions share, so a
 * transaction finds what its database compiled. Kysely marks `getExecutor` internal: prepared.test.ts notices if
 * it goes.
 */
const compiledByDatabase = new WeakMap<object, Map<string, Compiled>>();

function compiled(db: Executor, key: string, build: () => Compilable<unknown>): Compiled {
  const adapter = db.getExecutor().adapter;
  let cache = compiledByDatabase.get(adapter);
  if (!cache) compiledByDatabase.set(adapter, (cache = new Map()));
  let c = cache.get(key);
  if (!c) {
    const query = build().compile();
    c = { query, slots: query.parameters.map(slotOf) };
    cache.set(key, c);
  }
  return c;
}

function slotOf(parameter: unknown): Slot {
  if (typeof parameter !== 'string' || !parameter.startsWith(MARK)) return { value: parameter };
  const name = parameter.slice(MARK.length);
  const m = /^(.*)\[(\d+)\]$/.exec(name);
  return m ? { name: m[1]!, index: Number(m[2]) } : { name, index: undefined };
}

const placeholders = {
  one: (name: string) => `${MARK}${name}`,
  list: (name: string, n: number) => Array.from({ length: n }, (_, i) => `${MARK}${name}[${i}]`),
};

/** A query compiled once per database and shape; `shape` tells shapes of one template apart (an `in` list's size). */
export interface Template<A, R> {
  run(db: Executor, args: A, shape?: number): Promise<R[]>;
}

export function template<A, R = unknown>(name: string, build: (db: Executor, p: Placeholders<A>, shape: number) => Compilable<R>): Template<A, R> {
  const p = Object.assign(placeholders.one, { list: placeholders.list }) as unknown as Placeholders<A>;
  return {
    async run(db, args, shape = 0) {
      const c = compiled(db, `${name}/${shape}`, () => build(db, p, shape));
      const values = args as Record<string, unknown>;
      const parameters = c.slots.map((s) => (s.name === undefined ? s.value : s.index === undefined ? values[s.name] : (values[s.name] as unknown[])[s.index]));
      return (await db.executeQuery<R>({ ...c.query, parameters })).rows;
    },
  };
}

/**
 * An `in (…)` list's size rounded up to a power of two (its extra places repeat the last item, which changes
 * nothing), so a few prepared statements serve every list size up to `max`.
 */
export function listShape(n: number, max: number): number {
  let size = 1;
  while (size < n && size < max) size <<= 1;
  return size;
}

/** `items` padded to `size` by repeating the last one (see {@link listShape}). */
export function padList<T>(items: readonly T[], size: number): T[] {
  const out = items.slice(0, size);
  while (out.length < size) out.push(items[items.length - 1]!);
  return out;
}

/** Most rows per multi-row insert: 64 rows of the widest table stay far below every dialect's parameter limit. */
export const MAX_ROWS = 64;

/**
 * Rows written by multi-row inserts (`insert … values (…), (…)`), in order, so ids ascend as they would one by one.
 * The columns are the first row's keys, as `values(row)` would take them: every row must have the same keys.
 * Statement sizes are powers of two (100 rows: 64 + 32 + 4), so a handful of prepared statements serve every batch.
 */
export async function insertRows<T extends keyof Database & string>(db: Executor, table: T, rows: readonly Insertable<Database[T]>[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  let at = 0;
  while (at < rows.length) {
    let n = MAX_ROWS;
    while (n > rows.length - at) n >>= 1;
    // Each placeholder names its column and its row in the statement (`title[3]`: the title of row 3).
    const c = compiled(db, `insert ${table}(${columns.join(',')})/${n}`, () =>
      db.insertInto(table).values(Array.from({ length: n }, (_, i) => Object.fromEntries(columns.map((col) => [col, `${MARK}${col}[${i}]`]))) as never),
    );
    const base = at;
    const parameters = c.slots.map((s) => (s.name === undefined ? s.value : (rows[base + s.index!] as Record<string, unknown>)[s.name]));
    await db.executeQuery({ ...c.query, parameters });
    at += n;
  }
}
