/**
 * Tables from the results store: read every finished run, aggregate, render the paper tables for each
 * protocol, write them under `<resultsDir>/tables/`. The grid calls this at its end and
 * `eadro tables` calls it alone; both give the same files for the same store.
 */
import * as path from 'node:path';
import { aggregateRuns, type AggregateOptions } from './aggregate.js';
import { renderPaperTables, writeRenderedTables, type OtherDataPaperValues } from './paper-tables.js';
import { loadExtensions, registeredMethodNames } from './registry.js';
import { listFinishedRuns } from './store.js';

export interface TablesOptions extends AggregateOptions {
  /** Extension modules whose methods count as registered ("not run" rather than "not implemented"). */
  extensions?: string[];
  /** Output folder; default `<resultsDir>/tables`. */
  outDir?: string;
  /** The paper's values beside results on data that is not the paper's: marked (default) or left out. */
  otherDataPaperValues?: OtherDataPaperValues;
}

/** Render every table from the stored runs (file name relative to the tables folder → content). */
export async function renderTablesFromStore(resultsDir: string, opts: TablesOptions = {}): Promise<Map<string, string>> {
  await loadExtensions(opts.extensions ?? []);
  const groups = aggregateRuns(listFinishedRuns(resultsDir), opts);
  return renderPaperTables(groups, registeredMethodNames(), opts.otherDataPaperValues);
}

/** Render and write; returns the written files. */
export async function writeTablesFromStore(resultsDir: string, opts: TablesOptions = {}): Promise<string[]> {
  const files = await renderTablesFromStore(resultsDir, opts);
  return writeRenderedTables(opts.outDir ?? path.join(resultsDir, 'tables'), files);
}
