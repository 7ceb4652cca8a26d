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
  /** The scale whose outputs the committed notebooks show (issue 22: the `quick` scale). */
  committedScale: 'quick',
  /**
   * ours: a committed notebook keeps figures as PNG (tens of kB each) and tables as Markdown; 2 MiB
   * leaves room for a few figures while refusing embedded plotly JSON (a figure's HTML is 3.6 MB).
   */
  maxCommittedBytes: 2 * 1024 * 1024,
  /** Output types a committed notebook must not carry (interactive figures belong in results/figures/*.html). */
  forbiddenCommittedMimes: ['text/html', 'application/vnd.plotly.v1+json', 'application/javascript'],
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

/** When and how a notebook's committed outputs were made (scripts/notebooks/refresh-outputs.ts). */
export interface NotebookLastRun {
  scale: string;
  commit: string;
  dirty: boolean;
  date: string;
  seconds: number;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: { kernelspec?: { name?: string }; eadro?: { expects?: string[]; expectsText?: string[]; lastRun?: NotebookLastRun } } & Record<string, unknown>;
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

/**
 * What one Markdown output shows, without its numbers: its headings and the header rows of its tables,
 * digits masked. The rows themselves (which methods ran, their values) depend on the scale and the
 * data, the headers on the code.
 */
function markdownShape(markdown: string): string {
  const lines = markdown.split('\n').map((l) => l.trim());
  const shape: string[] = [];
  lines.forEach((line, i) => {
    const isHeading = /^#{1,6} /.test(line);
    const isTableHeader = line.startsWith('|') && /^\|(\s*:?-{3,}:?\s*\|)+$/.test(lines[i + 1] ?? '');
    if (isHeading || isTableHeader) shape.push(line.replace(/\d+(?:\.\d+)?/g, '#'));
  });
  return shape.length === 0 ? 'text/markdown' : `text/markdown ${shape.join(' / ')}`;
}

/**
 * A notebook's outputs as structure, one list per code cell: for each displayed output its MIME types
 * (a Markdown output with its headings and table headers, numbers masked), and `error` for an error.
 * Streams (logs: epochs, grid progress, where the tables came from) are left out: they differ between
 * a run that reads the main job's store and one that runs its own grid, and say nothing of what the
 * notebook shows.
 */
export function outputStructure(nb: Notebook): string[][] {
  return nb.cells.filter((c) => c.cell_type === 'code').map((cell) => (cell.outputs ?? []).flatMap((out) => {
    if (out.output_type === 'stream') return [];
    if (out.output_type === 'error') return ['error'];
    return [Object.keys(out.data ?? {}).sort().map((mime) => (mime === 'text/markdown' ? markdownShape(joined(out.data![mime])) : mime)).join(' + ')];
  }));
}

/**
 * Differences between the structure of a committed notebook and of the same notebook executed now:
 * empty when the committed outputs show what the code produces (same cells, same kinds of output,
 * same table headers), else one line per differing code cell.
 */
export function compareOutputStructure(committed: Notebook, executed: Notebook): string[] {
  const a = outputStructure(committed);
  const b = outputStructure(executed);
  if (a.length !== b.length) return [`committed notebook has ${a.length} code cells, the executed one ${b.length}`];
  const problems: string[] = [];
  a.forEach((cell, i) => {
    if (JSON.stringify(cell) !== JSON.stringify(b[i])) {
      problems.push(`code cell ${i}: committed outputs show ${JSON.stringify(cell)}, the code now shows ${JSON.stringify(b[i])}`);
    }
  });
  return problems;
}

/**
 * Check a notebook as committed: it carries the outputs of a run at the committed scale (checked as
 * an executed notebook is: no error, declared outputs present, real PNGs), recorded in
 * metadata.eadro.lastRun, and stays small (no embedded interactive figures).
 */
export function checkCommittedNotebook(nb: Notebook, name: string, bytes: number): NotebookCheck {
  const check = checkExecutedNotebook(nb, name);
  const lastRun = nb.metadata.eadro?.lastRun;
  if (lastRun === undefined) check.problems.push('no metadata.eadro.lastRun: outputs not committed (npx tsx scripts/notebooks/refresh-outputs.ts)');
  else if (lastRun.scale !== notebookRunnerDefaults.committedScale) check.problems.push(`outputs are from the ${lastRun.scale} scale, expected ${notebookRunnerDefaults.committedScale}`);
  if (bytes > notebookRunnerDefaults.maxCommittedBytes) check.problems.push(`${bytes} bytes, more than ${notebookRunnerDefaults.maxCommittedBytes}`);
  for (const mime of notebookRunnerDefaults.forbiddenCommittedMimes) {
    if ((check.outputCounts[mime] ?? 0) > 0) check.problems.push(`carries ${mime} output (interactive figures go to results/figures/*.html)`);
  }
  return check;
}
