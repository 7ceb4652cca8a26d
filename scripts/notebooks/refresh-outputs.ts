/**
 * Re-execute the notebooks at the `quick` scale and commit-ready write their outputs back into
 * notebooks/ (issue 22: opened from the repository, each notebook shows the tables and figures of its
 * last execution):
 *   npx tsx scripts/notebooks/refresh-outputs.ts [notebooks/02-x.ipynb ...]
 * Run the main job first (`npm start`, or `npx tsx scripts/bench/reproduce.ts --keep-results`):
 * notebooks 02-04 read its store, results/reproduce-quick/runs-store; without it they run their own
 * grid at the quick size (tens of minutes). A notebook is written back only when its run passed every
 * check (no error, declared outputs present, a committed-size notebook); the run is recorded in
 * metadata.eadro.lastRun (scale, commit, date, seconds), the cells' execution timestamps are dropped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../src/core/io.js';
import { codeVersion } from '../../src/core/manifest.js';
import { notebookSupportDefaults } from '../../src/experiments/notebook-support.js';
import {
  checkCommittedNotebook, jupyterAvailable, notebookRunnerDefaults, projectRoot, runNotebooks, type Notebook,
} from './notebook-runner.js';

if (!jupyterAvailable()) {
  console.error(`refresh-outputs: ${notebookRunnerDefaults.nbconvert} not found; install Jupyter with: bash scripts/setup-system.sh`);
  process.exit(1);
}
const root = projectRoot();
const mainStore = notebookSupportDefaults.mainStore;
if (!fs.existsSync(mainStore)) console.log(`refresh-outputs: ${mainStore} is missing, so notebooks 02-04 run their own quick grid (tens of minutes); run the main job first to avoid it`);
process.env['EADRO_NOTEBOOK_SCALE'] = notebookRunnerDefaults.committedScale;
const version = codeVersion();
const summary = runNotebooks(process.argv.slice(2), path.join(root, notebookRunnerDefaults.outDir, notebookRunnerDefaults.committedScale), root);
let failed = 0;
for (const r of summary.results) {
  const name = path.basename(r.notebook);
  if (r.executed === null || (r.check?.problems.length ?? 1) > 0) {
    failed++;
    console.log(`FAIL ${name} (${r.seconds.toFixed(0)} s): not written back\n${r.executed === null ? r.log : r.check!.problems.join('\n')}`);
    continue;
  }
  const nb = JSON.parse(fs.readFileSync(r.executed, 'utf8')) as Notebook;
  for (const cell of nb.cells) {
    const meta = (cell as unknown as { metadata?: Record<string, unknown> }).metadata;
    if (meta !== undefined) delete meta['execution'];
  }
  nb.metadata.eadro = {
    ...nb.metadata.eadro,
    lastRun: { scale: notebookRunnerDefaults.committedScale, commit: version.commit ?? 'unknown', dirty: version.dirty ?? true, date: new Date().toISOString(), seconds: Math.round(r.seconds) },
  };
  const text = `${JSON.stringify(nb, null, 1)}\n`;
  const check = checkCommittedNotebook(nb, name, Buffer.byteLength(text));
  if (check.problems.length > 0) {
    failed++;
    console.log(`FAIL ${name}: not written back\n${check.problems.join('\n')}`);
    continue;
  }
  writeFileAtomic(r.notebook, text);
  console.log(`ok   ${name} (${r.seconds.toFixed(0)} s, ${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB)`);
}
console.log(`${summary.results.length - failed} notebooks written back, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
