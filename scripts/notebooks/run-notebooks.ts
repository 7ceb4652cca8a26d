/**
 * Execute every notebooks/*.ipynb headless (or the ones named) and check their outputs:
 *   npx tsx scripts/notebooks/run-notebooks.ts [notebooks/01-x.ipynb ...]
 * Executed copies go to results/notebooks/. Exit status 1 if any notebook fails to execute, has an
 * error output, or lacks an output type its metadata declares (metadata.eadro.expects).
 */
import { jupyterAvailable, notebookRunnerDefaults, runNotebooks } from './notebook-runner.js';

if (!jupyterAvailable()) {
  console.error(`run-notebooks: ${notebookRunnerDefaults.nbconvert} not found; install Jupyter with: bash scripts/setup-system.sh`);
  process.exit(1);
}
const summary = runNotebooks(process.argv.slice(2));
for (const r of summary.results) {
  const ok = r.executed !== null && r.check !== null && r.check.problems.length === 0;
  const counts = r.check === null ? '' : Object.entries(r.check.outputCounts).map(([k, v]) => `${k}×${v}`).join(' ');
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${r.notebook} (${r.seconds.toFixed(1)} s) ${counts}`);
  if (r.executed === null) console.log(`  nbconvert exited ${r.exitCode}:\n${r.log.split('\n').map((l) => `    ${l}`).join('\n')}`);
  for (const p of r.check?.problems ?? []) console.log(`  ${p}`);
}
console.log(`${summary.results.length - summary.failed} notebooks passed, ${summary.failed} failed`);
process.exitCode = summary.failed > 0 ? 1 : 0;
