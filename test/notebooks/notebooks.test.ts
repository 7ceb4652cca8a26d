import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromiumAvailable } from '../../src/figures/plotly.js';
import {
  checkCommittedNotebook, checkExecutedNotebook, compareOutputStructure, executeNotebook, jupyterAvailable, listNotebooks,
  notebookRunnerDefaults, outputStructure, runNotebooks, setupKernel, type Notebook,
} from '../../scripts/notebooks/notebook-runner.js';

const HAVE_JUPYTER = jupyterAvailable();
const HAVE_CHROMIUM = chromiumAvailable();
const CAN_RUN = HAVE_JUPYTER && HAVE_CHROMIUM;
const missing = [HAVE_JUPYTER ? '' : notebookRunnerDefaults.nbconvert, HAVE_CHROMIUM ? '' : '/usr/bin/chromium'].filter((m) => m !== '').join(' and ');
/** Title that carries the reason when skipped (CI installs both, so there these run). */
const needsJupyter = (title: string): string => (CAN_RUN ? title : `${title} [SKIPPED: ${missing} absent; bash scripts/setup-system.sh]`);

const PNG_BASE64 = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64');

function notebook(outputs: Notebook['cells'][number]['outputs'], expects: string[] = [], kernel = 'tslab'): Notebook {
  return {
    cells: [{ cell_type: 'markdown', source: '# t' }, { cell_type: 'code', source: 'x', outputs }],
    metadata: { kernelspec: { name: kernel }, eadro: { expects } },
    nbformat: 4,
  };
}

describe('notebooks: output checks', () => {
  it('accepts a notebook whose declared outputs are present', () => {
    const check = checkExecutedNotebook(notebook([
      { output_type: 'display_data', data: { 'image/png': PNG_BASE64 } },
      { output_type: 'display_data', data: { 'text/markdown': '| a |' } },
      { output_type: 'stream', name: 'stdout', text: ['hi\n'] },
    ], ['image/png', 'text/markdown']), 'ok.ipynb');
    assert.deepEqual(check.problems, []);
    assert.deepEqual(check.outputCounts, { 'image/png': 1, 'text/markdown': 1, 'stream:stdout': 1 });
  });

  it('reports error outputs, tslab type errors, missing declared outputs, fake PNGs and the wrong kernel', () => {
    const check = checkExecutedNotebook(notebook([
      { output_type: 'error', ename: 'Error', evalue: 'boom' },
      { output_type: 'stream', name: 'stderr', text: "1:7 - Type 'string' is not assignable to type 'number'.\n" },
      { output_type: 'display_data', data: { 'image/png': Buffer.from('not a png').toString('base64') } },
    ], ['text/markdown'], 'python3'), 'bad.ipynb');
    const text = check.problems.join('\n');
    assert.match(text, /kernelspec\.name is "python3"/);
    assert.match(text, /cell 1: error Error: boom/);
    assert.match(text, /cell 1: type error: 1:7 - Type 'string'/);
    assert.match(text, /image\/png output is not a PNG/);
    assert.match(text, /expected at least one text\/markdown output/);
  });
});

describe('notebooks: committed outputs', () => {
  const table = (rows: string[]): string => `### Table II (protocol: temporal)\n\n| Method | F1 |\n|---|---|\n${rows.map((r) => `| ${r} |`).join('\n')}\n`;
  const shown = (markdown: string, log: string): Notebook => notebook([
    { output_type: 'stream', name: 'stdout', text: log },
    { output_type: 'display_data', data: { 'text/markdown': markdown } },
    { output_type: 'display_data', data: { 'image/png': PNG_BASE64 } },
  ]);

  it('reads a notebook as structure: output kinds and table headers, without numbers, rows or logs', () => {
    assert.deepEqual(outputStructure(shown(table(['Eadro | 0.815']), 'epoch 1')), [[
      'text/markdown ### Table II (protocol: temporal) / | Method | F# |', 'image/png',
    ]]);
    // Other numbers, other rows and other logs (a store read instead of a grid run): the same structure.
    const quick = shown(table(['Eadro | 0.815', 'MS-LSTM | 0.684']), 'read the main store');
    const ci = shown(table(['Eadro | 0.412']), 'ran a small grid\n3 runs');
    assert.deepEqual(compareOutputStructure(quick, ci), []);
  });

  it('tells when the committed outputs no longer match: a lost figure, a changed table, an error', () => {
    const committed = shown(table(['Eadro | 0.815']), '');
    const noFigure = notebook([{ output_type: 'display_data', data: { 'text/markdown': table(['Eadro | 0.815']) } }]);
    assert.match(compareOutputStructure(committed, noFigure).join('\n'), /code cell 0: committed outputs show .*image\/png.*, the code now shows/);
    const otherColumns = shown(table(['Eadro | 0.815']).replace('| Method | F1 |', '| Method | F1 | MCC |'), '');
    assert.equal(compareOutputStructure(committed, otherColumns).length, 1);
    const failed = notebook([{ output_type: 'error', ename: 'Error', evalue: 'x' }]);
    assert.match(compareOutputStructure(committed, failed)[0]!, /"error"/);
    const moreCells: Notebook = { ...committed, cells: [...committed.cells, { cell_type: 'code', source: 'y', outputs: [] }] };
    assert.match(compareOutputStructure(committed, moreCells)[0]!, /1 code cells, the executed one 2/);
  });

  it('a committed notebook must carry a quick-scale run, stay small and hold no interactive figure', () => {
    const nb = shown(table(['Eadro | 0.815']), '');
    assert.match(checkCommittedNotebook(nb, 'x.ipynb', 1000).problems.join('\n'), /no metadata\.eadro\.lastRun/);
    nb.metadata.eadro = { lastRun: { scale: 'ci', commit: 'abc', dirty: false, date: '2026-12-07', seconds: 1 } };
    assert.match(checkCommittedNotebook(nb, 'x.ipynb', 1000).problems.join('\n'), /from the ci scale, expected quick/);
    nb.metadata.eadro.lastRun!.scale = 'quick';
    assert.deepEqual(checkCommittedNotebook(nb, 'x.ipynb', 1000).problems, []);
    assert.match(checkCommittedNotebook(nb, 'x.ipynb', 3 * 1024 * 1024).problems.join('\n'), /more than 2097152/);
    nb.cells[1]!.outputs!.push({ output_type: 'display_data', data: { 'text/html': '<div>plotly</div>' } });
    assert.match(checkCommittedNotebook(nb, 'x.ipynb', 1000).problems.join('\n'), /carries text\/html output/);
  });

  for (const file of listNotebooks()) {
    it(`${path.basename(file)} is committed with the outputs of its last quick-scale run`, () => {
      const text = fs.readFileSync(file, 'utf8');
      const check = checkCommittedNotebook(JSON.parse(text) as Notebook, path.basename(file), Buffer.byteLength(text));
      assert.deepEqual(check.problems, [], `${path.basename(file)}: refresh with npx tsx scripts/notebooks/refresh-outputs.ts`);
    });
  }
});

describe('notebooks: headless execution', function () {
  this.timeout(notebookRunnerDefaults.cellTimeoutSeconds * 1000);

  it('every notebook declares the tslab kernel and the outputs it must show', () => {
    const files = listNotebooks();
    assert.ok(files.length > 0, 'notebooks/ holds notebooks');
    for (const file of files) {
      const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
      assert.equal(nb.metadata.kernelspec?.name, 'tslab', file);
      assert.ok((nb.metadata.eadro?.expects ?? []).length > 0, `${file} declares the outputs it must show (metadata.eadro.expects)`);
    }
  });

  it(needsJupyter('executes every notebook with no cell error, showing its PNG figures and tables, as its committed outputs do'), function () {
    if (!CAN_RUN) return this.skip();
    // Each notebook may take up to the per-cell limit; five run in sequence (about 8 min on a loaded 2-core machine).
    this.timeout(Math.max(1, listNotebooks().length) * notebookRunnerDefaults.cellTimeoutSeconds * 1000);
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-notebooks-'));
    const summary = runNotebooks(undefined, outDir);
    const report = summary.results.map((r) => `${path.basename(r.notebook)}: ${r.executed === null ? `nbconvert exit ${r.exitCode}\n${r.log}` : r.check?.problems.join('; ')}`).join('\n');
    assert.equal(summary.failed, 0, report);
    // The committed outputs (quick scale) show what the code produces now (CI size), by structure.
    const stale = summary.results.flatMap((r) => compareOutputStructure(
      JSON.parse(fs.readFileSync(r.notebook, 'utf8')) as Notebook,
      JSON.parse(fs.readFileSync(r.executed!, 'utf8')) as Notebook,
    ).map((p) => `${path.basename(r.notebook)}: ${p}`));
    assert.deepEqual(stale, [], 'committed outputs no longer match the code: npx tsx scripts/notebooks/refresh-outputs.ts');
    // Declared outputs were checked per notebook above; the figures themselves must be there too.
    assert.ok(summary.results.some((r) => (r.check?.outputCounts['image/png'] ?? 0) > 0), 'the notebooks show PNG figures');
    for (const r of summary.results) {
      const nb = JSON.parse(fs.readFileSync(r.notebook, 'utf8')) as Notebook;
      if (nb.metadata.eadro?.expects?.includes('image/png')) assert.ok((r.check?.outputCounts['image/png'] ?? 0) > 0, `${path.basename(r.notebook)} shows a PNG`);
      // Text the outputs must hold (e.g. the paper tables of both protocols), declared as metadata.eadro.expectsText.
      const expectsText = (nb.metadata.eadro as { expectsText?: string[] } | undefined)?.expectsText ?? [];
      if (expectsText.length > 0) {
        const executed = JSON.parse(fs.readFileSync(r.executed!, 'utf8')) as Notebook;
        const text = executed.cells.flatMap((c) => c.outputs ?? []).map((o) => [o.text, ...Object.values(o.data ?? {})].flat().join('')).join('\n');
        for (const expected of expectsText) assert.ok(text.includes(expected), `${path.basename(r.notebook)} outputs hold "${expected}"`);
      }
    }
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  it(needsJupyter('a failing cell fails the run, and the report carries the error text'), function () {
    if (!CAN_RUN) return this.skip();
    setupKernel();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-failing-nb-'));
    const file = path.join(dir, 'failing.ipynb');
    const cell = (source: string) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source });
    fs.writeFileSync(file, JSON.stringify({
      cells: [cell("console.log('before');"), cell("throw new Error('boom-from-test');"), cell("console.log('after');")],
      metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript (tslab)', language: 'typescript' } },
      nbformat: 4,
      nbformat_minor: 5,
    }));
    const r = executeNotebook(file, path.join(dir, 'out'));
    assert.equal(r.executed, null);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.log, /first failing cell \(index 1\)[\s\S]*boom-from-test/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
