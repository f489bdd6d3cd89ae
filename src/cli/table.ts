/** Plain-text tables that fit the terminal. Pure, apart from `terminalWidth`. */

export interface Column {
  key: string;
  header?: string;
  /** Never cut: ids must stay whole to be pasted into the next command. */
  keep?: boolean;
  /** Free text (titles, hints): gives way first, down to FLEX_MIN, before anything else is touched. */
  flex?: boolean;
  /** Left out when the line cannot fit otherwise; the highest goes first. `--json` always has everything. */
  drop?: number;
}

const ELLIPSIS = '…';
const GAP = 2;
const FLEX_MIN = 20;
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

/** Narrows the widest of `which` one character at a time, none below its floor; returns how much is still over. */
function squeeze(widths: number[], over: number, which: (i: number) => number | undefined): number {
  while (over > 0) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      const floor = which(i);
      if (floor !== undefined && widths[i]! > floor && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest < 0) break;
    widths[widest]!--;
    over--;
  }
  return over;
}

/**
 * Columns are as wide as their widest cell. A line wider than `maxWidth` is fitted in steps: free-text columns give
 * way down to FLEX_MIN; then droppable columns go, highest first; then every column but the kept ones is cut, down
 * to MIN_CUT. Whatever is cut ends in "…".
 */
export function table(rows: readonly Record<string, unknown>[], columns: readonly (Column | string)[], maxWidth?: number): string {
  let cols: Column[] = columns.map((c) => (typeof c === 'string' ? { key: c } : c));
  const natural = (c: Column) => Math.max(len(c.header ?? c.key.toUpperCase()), ...rows.map((r) => len(cellText(r[c.key]))));
  let widths = cols.map(natural);
  if (maxWidth !== undefined) {
    const overBy = () => widths.reduce((a, b) => a + b, 0) + GAP * (cols.length - 1) - maxWidth;
    const flexFloor = (i: number) => (cols[i]!.flex ? Math.min(widths[i]!, FLEX_MIN) : undefined);
    for (;;) {
      widths = cols.map(natural);
      const floors = widths.map((_, i) => flexFloor(i));
      if (squeeze(widths, overBy(), (i) => floors[i]) <= 0) break;
      const victim = cols.reduce<Column | undefined>((v, c) => (c.drop !== undefined && (v === undefined || c.drop > v.drop!) ? c : v), undefined);
      if (!victim) {
        squeeze(widths, overBy(), (i) => (cols[i]!.keep ? undefined : MIN_CUT));
        break;
      }
      cols = cols.filter((c) => c !== victim);
    }
  }
  const headers = cols.map((c) => c.header ?? c.key.toUpperCase());
  const cells = rows.map((r) => cols.map((c) => cellText(r[c.key])));
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
