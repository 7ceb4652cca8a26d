/**
 * Markdown tables for notebooks (`tslab.display.markdown`) and reports: numbers formatted with a fixed
 * number of decimals, cell text escaped so a `|` cannot break the table.
 */

export const markdownDefaults = {
  /** Decimals of numbers in cells (ours: enough for metrics in [0, 1] with three significant digits). */
  decimals: 3,
};

export type Cell = string | number | null | undefined;

function formatCell(value: Cell, decimals: number): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    return Number.isFinite(value) ? value.toFixed(decimals) : String(value);
  }
  return value.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A GitHub-flavoured Markdown table; numeric columns are right-aligned. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly Cell[])[], decimals = markdownDefaults.decimals): string {
  const numeric = headers.map((_, j) => rows.length > 0 && rows.every((r) => typeof r[j] === 'number' || r[j] === null || r[j] === undefined));
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(headers.map((h) => formatCell(h, decimals))),
    line(numeric.map((isNum) => (isNum ? '---:' : '---'))),
    ...rows.map((r) => line(headers.map((_, j) => formatCell(r[j], decimals)))),
  ].join('\n');
}
