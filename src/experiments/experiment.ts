/**
 * One experiment end to end: expand its grid, run what is unfinished on the worker pool, then write
 * the tables from the whole store. Rerunning after an interruption finishes the rest.
 */
import { expandGrid, type GridRun } from './grid.js';
import type { ExperimentConfig } from './config.js';
import { runGrid, type GridOptions, type GridSummary } from './runner.js';
import { writeTablesFromStore, type TablesOptions } from './report.js';

export interface ExperimentResult {
  summary: GridSummary;
  /** Table files written at the end of the grid. */
  tables: string[];
}

/** Run an experiment's grid (or the part of it in `runs`, e.g. picked by `--only`), then its tables. */
export async function runExperiment(e: ExperimentConfig, opts: GridOptions & { tables?: TablesOptions; runs?: readonly GridRun[] }): Promise<ExperimentResult> {
  const summary = await runGrid(opts.runs ?? expandGrid(e), { label: e.name, ...opts });
  const tables = await writeTablesFromStore(opts.resultsDir, { extensions: opts.extensions, ...opts.tables });
  return { summary, tables };
}
