import type { Insertable } from 'kysely';
import { MAX_ROWS, insertRows } from './prepared.ts';
import type { Database, Executor } from './schema.ts';

type Table = keyof Database & string;

/**
 * Inserts of one unit of work held back and written as multi-row statements (a batch of 100 new alerts: three
 * statements instead of three hundred). Anything that reads or updates a table first writes the rows held for it
 * (`before`), so every statement sees exactly what it would have seen had each insert run at once; `flush` writes
 * the rest, and must run before the unit of work ends. Rows go in the order they were added, so ids ascend alike.
 * A table's rows are written as soon as they fill one statement: held rows stay few and short-lived (rows held for a
 * whole batch of thousands outlived the young generation, and garbage collection cost a fifth of ingest).
 */
export class InsertBuffer {
  /** Per table, runs of rows with the same columns, in the order added. */
  private readonly held = new Map<Table, { columns: string[]; rows: object[] }[]>();

  constructor(private readonly db: Executor) {}

  async add<T extends Table>(table: T, row: Insertable<Database[T]>): Promise<void> {
    let runs = this.held.get(table);
    if (!runs) this.held.set(table, (runs = []));
    const last = runs[runs.length - 1];
    if (last && sameColumns(last.columns, row)) {
      last.rows.push(row);
      if (last.rows.length >= MAX_ROWS) await this.before(table);
    } else runs.push({ columns: Object.keys(row), rows: [row] });
  }

  /** Writes the rows held for `table`: call before a statement that reads or updates it. */
  async before(table: Table): Promise<void> {
    const runs = this.held.get(table);
    if (!runs) return;
    this.held.delete(table);
    for (const r of runs) await insertRows(this.db, table, r.rows as Insertable<Database[Table]>[]);
  }

  async flush(): Promise<void> {
    for (const table of [...this.held.keys()]) await this.before(table);
  }
}

/** Whether `row` has exactly `columns`, in that order (without building its key list: this runs for every row). */
function sameColumns(columns: readonly string[], row: object): boolean {
  let i = 0;
  for (const k in row) if (columns[i++] !== k) return false;
  return i === columns.length;
}
