/**
 * A plain table model and its three renderings: Markdown (README, reports), CSV (spreadsheets,
 * DuckDB) and LaTeX (papers). Cells are strings already formatted by the caller, so the three
 * renderings always show the same numbers.
 */

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  /** Footnotes: sources, definitions, caveats. */
  notes: string[];
}

export function toMarkdown(t: Table): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [`### ${t.title}`, '', `| ${t.columns.map(esc).join(' | ')} |`, `|${t.columns.map(() => '---').join('|')}|`];
  for (const r of t.rows) lines.push(`| ${r.map(esc).join(' | ')} |`);
  if (t.notes.length > 0) lines.push('', ...t.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}

/** RFC 4180 CSV: fields with commas, quotes or line breaks are quoted, quotes doubled. Notes are not included. */
export function toCsv(t: Table): string {
  const field = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return `${[t.columns, ...t.rows].map((r) => r.map(field).join(',')).join('\n')}\n`;
}

const LATEX_SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}', '&': '\\&', '%': '\\%', $: '\\$', '#': '\\#', _: '\\_', '{': '\\{', '}': '\\}', '~': '\\textasciitilde{}', '^': '\\textasciicircum{}',
};

export function latexEscape(s: string): string {
  return s.replace(/[\\&%$#_{}~^]/g, (c) => LATEX_SPECIALS[c] as string).replace(/±/g, '$\\pm$');
}

/** A `table` environment with booktabs rules (needs \usepackage{booktabs}); notes as a footnote block. */
export function toLatex(t: Table): string {
  const lines = [
    '\\begin{table}[t]',
    '\\centering',
    `\\caption{${latexEscape(t.title)}}`,
    '\\resizebox{\\linewidth}{!}{%',
    `\\begin{tabular}{${t.columns.map(() => 'l').join('')}}`,
    '\\toprule',
    `${t.columns.map(latexEscape).join(' & ')} \\\\`,
    '\\midrule',
    ...t.rows.map((r) => `${r.map(latexEscape).join(' & ')} \\\\`),
    '\\bottomrule',
    '\\end{tabular}}',
  ];
  if (t.notes.length > 0) lines.push('\\par\\footnotesize', ...t.notes.map((n) => `${latexEscape(n)}\\\\`));
  lines.push('\\end{table}');
  return `${lines.join('\n')}\n`;
}
