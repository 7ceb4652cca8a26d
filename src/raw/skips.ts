/**
 * Counted skips: with `onBadInput: 'skip'` every dropped or repaired item is counted here per
 * (file, reason), with the first example quoted, so a summary can say exactly what was not used.
 */
import type { SkipReport } from './types.js';

export class SkipCollector {
  private readonly byKey = new Map<string, SkipReport>();

  /** Count one skipped item. `example` is kept only for the first item of each (file, reason). */
  add(file: string, reason: string, example?: string): void {
    this.addMany(file, reason, 1, example);
  }

  /** Count `count` items at once (e.g. the forward-filled seconds of one metric file). */
  addMany(file: string, reason: string, count: number, example?: string): void {
    if (count <= 0) return;
    const key = `${file}\u0000${reason}`;
    const existing = this.byKey.get(key);
    if (existing !== undefined) {
      existing.count += count;
      return;
    }
    const report: SkipReport = { file, reason, count };
    if (example !== undefined) report.example = example.length > 200 ? `${example.slice(0, 200)}…` : example;
    this.byKey.set(key, report);
  }

  /** Reports in the order their first item was seen. */
  reports(): SkipReport[] {
    return [...this.byKey.values()].map((r) => ({ ...r }));
  }

  /** Total count over all reports. */
  total(): number {
    let n = 0;
    for (const r of this.byKey.values()) n += r.count;
    return n;
  }

  /** One line per (file, reason): the detail behind `summarizeSkips`. */
  format(): string[] {
    return formatSkipsByFile(this.reports());
  }
}

/**
 * Skips summarised one line per reason (issue 26: one line per file buried the summary of a 3,000-file
 * dataset): `N x reason in F file(s), e.g. <file>: <example>`, most frequent first. The per-file
 * counts stay in report.json (and `formatSkipsByFile`).
 */
export function summarizeSkips(reports: readonly SkipReport[]): string[] {
  const byReason = new Map<string, { count: number; files: Set<string>; first: SkipReport }>();
  for (const r of reports) {
    const g = byReason.get(r.reason);
    if (g === undefined) byReason.set(r.reason, { count: r.count, files: new Set([r.file]), first: r });
    else {
      g.count += r.count;
      g.files.add(r.file);
    }
  }
  return [...byReason.entries()]
    .sort((a, b) => b[1].count - a[1].count)
    .map(([reason, g]) => `${g.count} x ${reason} in ${g.files.size} file(s), e.g. ${g.first.file}${g.first.example === undefined ? '' : `: ${g.first.example}`}`);
}

/** Skips one line per (file, reason), as counted. */
export function formatSkipsByFile(reports: readonly SkipReport[]): string[] {
  return reports.map((r) => `${r.count} x ${r.reason} (${r.file})${r.example === undefined ? '' : `: ${r.example}`}`);
}
