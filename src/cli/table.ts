/** Plain-text tables that fit the terminal. Pure, apart from `terminalWidth`. */

export interface Column {
  key: string;
  header?: string;
  /** Never cut: ids must stay whole to be pasted into the next command. */
  keep?: boolean;
}

const ELLIPSIS = '…';
const GAP = 2;
/** A cut column keeps at least this much, so it still says something. */
const MIN_CUT = 6;

export function cellText(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  if (Array.isArray(v)) return v.length ? v.map(cellText).join(', ') : '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v).replace(/\s+/g, ' ').trim();
}

/** Cuts to `width` characters (code points), marking the cut with "…". */
export function cut(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return width <= 1 ? ELLIPSIS.slice(0, width) : `${chars.slice(0, width - 1).join('')}${ELLIPSIS}`;
}

const len = (s: string) => [...s].length;

/**
 * Columns are as wide as their widest cell; when the whole line is wider than `maxWidth`, the widest cuttable
 * column gives way first, one character at a time, until the line fits or every column is at its floor.
 */
export function table(rows: readonly Record<string, unknown>[], columns: readonly (Column | string)[], maxWidth?: number): string {
  const cols = columns.map((c) => (typeof c === 'string' ? { key: c } : c));
  const headers = cols.map((c) => c.header ?? c.key.toUpperCase());
  const cells = rows.map((r) => cols.map((c) => cellText(r[c.key])));
  const widths = cols.map((_, i) => Math.max(len(headers[i]!), ...cells.map((row) => len(row[i]!))));
  if (maxWidth !== undefined) {
    const floor = cols.map((c, i) => (c.keep ? widths[i]! : Math.min(widths[i]!, MIN_CUT)));
    let over = widths.reduce((a, b) => a + b, 0) + GAP * (cols.length - 1) - maxWidth;
    while (over > 0) {
      let widest = -1;
      for (let i = 0; i < cols.length; i++) if (widths[i]! > floor[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      if (widest < 0) break;
      widths[widest]!--;
      over--;
    }
  }
  const line = (vals: string[]) =>
    vals
      .map((v, i) => {
        const t = cut(v, widths[i]!);
        return t + ' '.repeat(widths[i]! - len(t));
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** The terminal's width when printing to one, else `$COLUMNS` if set; piped output is not cut otherwise. */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (stream.isTTY && stream.columns) return stream.columns;
  const c = Number(env.COLUMNS);
  return Number.isInteger(c) && c > 0 ? c : undefined;
}
