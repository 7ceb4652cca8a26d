/**
 * Execute tslab notebooks headless and check what they produced. Used by run-notebooks.ts (CI and
 * users) and test/notebooks/notebooks.test.ts.
 *
 * How: `jupyter nbconvert --to notebook --execute` with JUPYTER_PATH pointing at the project-local
 * kernelspec (.jupyter/, written by setup-kernel.sh). Debian's /usr/bin/jupyter is used, never
 * `python3 -m jupyter` (python3 on PATH may be a pyenv without Jupyter; tooling-notes §1). No
 * --allow-errors: tslab returns every cell after a failing one empty, so the first error must fail
 * the run. Executed copies go to results/notebooks/.
 *
 * What a notebook expects is declared in its metadata: `"eadro": {"expects": ["image/png",
 * "text/markdown"]}` lists output MIME types that must appear at least once.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPng } from '../../src/figures/png.js';

export const notebookRunnerDefaults = {
  /** Debian's jupyter launcher (tooling-notes §1). */
  jupyter: '/usr/bin/jupyter',
  /** nbconvert's entry point, checked to tell whether Jupyter is installed. */
  nbconvert: '/usr/bin/jupyter-nbconvert',
  /** Seconds a single cell may run (issue 7: ExecutePreprocessor.timeout=600). */
  cellTimeoutSeconds: 600,
  /** Where executed copies go (gitignore candidate). */
  outDir: 'results/notebooks',
  /** Folder of the notebooks. */
  notebookDir: 'notebooks',
  /** Kernel every notebook must name. */
  kernelName: 'tslab',
};

/** A notebook cell output, as nbformat 4 stores it. */
export interface NotebookOutput {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error';
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}

export interface NotebookCell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: string | string[];
  outputs?: NotebookOutput[];
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: { kernelspec?: { name?: string }; eadro?: { expects?: string[] } } & Record<string, unknown>;
  nbformat: number;
}

export interface NotebookCheck {
  notebook: string;
  /** Problems found; empty when the notebook is fine. */
  problems: string[];
  /** Count of each output MIME type (and "stream:stdout", "stream:stderr") over all cells. */
  outputCounts: Record<string, number>;
}

/** Whether Jupyter (nbconvert) is installed where the runner looks for it. */
export function jupyterAvailable(): boolean {
  return fs.existsSync(notebookRunnerDefaults.nbconvert) && fs.existsSync(notebookRunnerDefaults.jupyter);
}

/** Project root: the folder holding package.json and node_modules/tslab, searched upward from cwd. */
export function projectRoot(start = process.cwd()): string {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'node_modules', 'tslab'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no project root (package.json + node_modules/tslab) above ${start}`);
    dir = parent;
  }
}

/** Write the project-local kernelspec (.jupyter/kernels/tslab/kernel.json) for this checkout. */
export function setupKernel(root = projectRoot()): string {
  const r = spawnSync('bash', [path.join(root, 'scripts', 'notebooks', 'setup-kernel.sh')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`setup-kernel.sh failed: ${r.stderr || r.stdout}`);
  return path.join(root, '.jupyter', 'kernels', 'tslab', 'kernel.json');
}

/** The notebooks to run, sorted by name. */
export function listNotebooks(root = projectRoot()): string[] {
  const dir = path.join(root, notebookRunnerDefaults.notebookDir);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb') && !f.startsWith('.')).sort().map((f) => path.join(dir, f));
}

export interface ExecuteResult {
  notebook: string;
  /** Executed copy, or null when nbconvert wrote none. */
  executed: string | null;
  exitCode: number | null;
  seconds: number;
  /** nbconvert's stderr tail (its error report names the failing cell). */
  log: string;
}

function nbconvert(notebook: string, outDir: string, name: string, root: string, allowErrors: boolean) {
  return spawnSync(
    notebookRunnerDefaults.jupyter,
    [
      'nbconvert', '--to', 'notebook', '--execute',
      `--ExecutePreprocessor.timeout=${notebookRunnerDefaults.cellTimeoutSeconds}`,
      `--ExecutePreprocessor.kernel_name=${notebookRunnerDefaults.kernelName}`,
      ...(allowErrors ? ['--allow-errors'] : []),
      '--output-dir', outDir, '--output', name, notebook,
    ],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, JUPYTER_PATH: path.join(root, '.jupyter'), TSLAB_ROOT: root, EADRO_QUIET: '1' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

/**
 * Why a run failed: nbconvert's own report shows only the failing cell's source, because tslab
 * sends an empty error name and value; the error text is in the cell's stderr. So a failed run is
 * repeated once WITH --allow-errors into `<name>.failed.ipynb`, only to read the stderr of the
 * first cell that wrote any (the pass/fail verdict is still the run without --allow-errors).
 */
function diagnoseFailure(notebook: string, outDir: string, root: string): string {
  const name = path.basename(notebook).replace(/\.ipynb$/, '.failed.ipynb');
  const r = nbconvert(notebook, outDir, name, root, true);
  const file = path.join(outDir, name);
  if (r.status !== 0 || !fs.existsSync(file)) return 'diagnostic re-run with --allow-errors also failed to write a notebook';
  const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
  for (let i = 0; i < nb.cells.length; i++) {
    const errors = (nb.cells[i]!.outputs ?? []).filter((o) => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr'));
    if (errors.length > 0) {
      const text = errors.map((o) => (o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : joined(o.text))).join('\n');
      return `first failing cell (index ${i}) wrote:\n${text.length > 3000 ? `${text.slice(0, 3000)}…` : text}\n(diagnostic copy: ${file})`;
    }
  }
  return `diagnostic re-run with --allow-errors showed no error output (a transient failure?); copy: ${file}`;
}

/** Run one notebook with nbconvert; the executed copy lands in `outDir` under the same name. */
export function executeNotebook(notebook: string, outDir: string, root = projectRoot()): ExecuteResult {
  fs.mkdirSync(outDir, { recursive: true });
  const name = path.basename(notebook);
  const target = path.join(outDir, name);
  fs.rmSync(target, { force: true });
  const started = Date.now();
  const r = nbconvert(notebook, outDir, name, root, false);
  const seconds = (Date.now() - started) / 1000;
  const ok = r.status === 0 && fs.existsSync(target);
  let log = `${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
  log = log.length > 2000 ? `…${log.slice(-2000)}` : log;
  if (!ok && r.error === undefined) log += `\n${diagnoseFailure(notebook, outDir, root)}`;
  return { notebook, executed: ok ? target : null, exitCode: r.status, seconds, log };
}

function joined(text: string | string[] | undefined): string {
  return Array.isArray(text) ? text.join('') : (text ?? '');
}

/**
 * Check an executed notebook: it names the tslab kernel, no output is an error, every code cell with
 * source has run without an error status, the MIME types in metadata.eadro.expects appear, and every
 * image/png output really is a PNG.
 */
export function checkExecutedNotebook(nb: Notebook, name: string): NotebookCheck {
  const problems: string[] = [];
  const outputCounts: Record<string, number> = {};
  const bump = (key: string): void => {
    outputCounts[key] = (outputCounts[key] ?? 0) + 1;
  };
  if (nb.metadata.kernelspec?.name !== notebookRunnerDefaults.kernelName) {
    problems.push(`kernelspec.name is ${JSON.stringify(nb.metadata.kernelspec?.name)}, expected "${notebookRunnerDefaults.kernelName}"`);
  }
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== 'code') return;
    for (const out of cell.outputs ?? []) {
      if (out.output_type === 'error') {
        problems.push(`cell ${i}: error ${out.ename ?? ''}: ${out.evalue ?? ''}`);
        bump('error');
      } else if (out.output_type === 'stream') {
        bump(`stream:${out.name ?? 'stdout'}`);
        // tslab reports compile errors as a stderr stream "line:col - message".
        if (out.name === 'stderr' && /^\d+:\d+ - /m.test(joined(out.text))) problems.push(`cell ${i}: type error: ${joined(out.text).trim().split('\n')[0]}`);
      } else {
        for (const [mime, value] of Object.entries(out.data ?? {})) {
          bump(mime);
          if (mime === 'image/png') {
            const bytes = Buffer.from(joined(value), 'base64');
            if (!isPng(bytes)) problems.push(`cell ${i}: image/png output is not a PNG (${bytes.length} bytes)`);
          }
        }
      }
    }
  });
  for (const mime of nb.metadata.eadro?.expects ?? []) {
    if ((outputCounts[mime] ?? 0) === 0) problems.push(`expected at least one ${mime} output, found none`);
  }
  return { notebook: name, problems, outputCounts };
}

/** Read and check an executed notebook file. */
export function checkExecutedFile(file: string): NotebookCheck {
  let nb: Notebook;
  try {
    nb = JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
  } catch (err) {
    return { notebook: path.basename(file), problems: [`not readable as a notebook: ${(err as Error).message}`], outputCounts: {} };
  }
  return checkExecutedNotebook(nb, path.basename(file));
}

export interface RunSummary {
  results: (ExecuteResult & { check: NotebookCheck | null })[];
  failed: number;
}

/** Set up the kernel, execute every notebook (or the given ones), check each executed copy. */
export function runNotebooks(notebooks?: readonly string[], outDir?: string, root = projectRoot()): RunSummary {
  setupKernel(root);
  const list = notebooks === undefined || notebooks.length === 0 ? listNotebooks(root) : notebooks.map((n) => path.resolve(root, n));
  const out = outDir ?? path.join(root, notebookRunnerDefaults.outDir);
  const results: RunSummary['results'] = [];
  let failed = 0;
  for (const nb of list) {
    const exec = executeNotebook(nb, out, root);
    const check = exec.executed === null ? null : checkExecutedFile(exec.executed);
    if (exec.executed === null || (check !== null && check.problems.length > 0)) failed++;
    results.push({ ...exec, check });
  }
  return { results, failed };
}
