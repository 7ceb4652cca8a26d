import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { aggregateRuns, compareRuns } from '../../src/experiments/aggregate.js';
import { runExperiment } from '../../src/experiments/experiment.js';
import { buildPaperTable, isPaperData, paperRowOf, paperTables, tableDefs, variantLabel } from '../../src/experiments/paper-tables.js';
import { renderTablesFromStore } from '../../src/experiments/report.js';
import { listFinishedRuns } from '../../src/experiments/store.js';
import { latexEscape, toCsv, toLatex, toMarkdown, type Table } from '../../src/experiments/tables.js';
import { FAKE_METHODS, smallGrid } from './fixtures/experiments.js';

describe('experiments/tables', function () {
  this.timeout(60_000);
  let dir = '';
  let written: string[] = [];
  let quietBefore: string | undefined;
  after(() => {
    if (quietBefore === undefined) delete process.env['EADRO_QUIET'];
    else process.env['EADRO_QUIET'] = quietBefore;
  });
  before(async () => {
    quietBefore = process.env['EADRO_QUIET'];
    process.env['EADRO_QUIET'] = '1';
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-tables-'));
    const r = await runExperiment(smallGrid, { resultsDir: dir, poolSize: 0, extensions: [FAKE_METHODS], tables: { resamples: 300 } });
    assert.equal(r.summary.completed, 16);
    written = r.tables;
  });

  it('a table regenerated from stored runs equals the one written at the end of the grid', async () => {
    const again = await renderTablesFromStore(dir, { extensions: [FAKE_METHODS], resamples: 300 });
    assert.equal(written.length, again.size);
    assert.ok(written.length >= 2 * 4 * 3, 'every table in md, csv and tex for both protocols');
    for (const [rel, content] of again) assert.equal(fs.readFileSync(path.join(dir, 'tables', rel), 'utf8'), content, rel);
  });

  it('rows of methods without runs say so, paper numbers stand beside ours', () => {
    const md = fs.readFileSync(path.join(dir, 'tables', 'temporal', 'table2.md'), 'utf8');
    // TraceAnomaly is registered but has no runs in this store: "not run", never a number of ours.
    const missingRows = md.split('\n').filter((l) => l.startsWith('| TraceAnomaly |'));
    assert.equal(missingRows.length, 2, 'one row per system');
    for (const row of missingRows) {
      assert.match(row, /not run/);
      assert.doesNotMatch(row.replace(/0\.(486|414|589|539|468|636)/g, ''), /\d\.\d{3}/, 'only the paper numbers are numbers');
    }
    assert.match(missingRows[0]!, /\| 0\.486 \|/, "paper's TT F1 beside it");
    // Eadro is registered but has no runs in this store: "not run", with the paper's numbers beside.
    const eadroRows = md.split('\n').filter((l) => l.startsWith('| Eadro |'));
    assert.ok(eadroRows.every((r) => r.includes('not run') && !r.includes('not implemented')));
    assert.match(eadroRows[0]!, /\| 0\.989 \|/, "paper's TT F1 beside it");
    // A registered method without runs is "not run".
    const groups = aggregateRuns(listFinishedRuns(dir), { resamples: 50 });
    const t = buildPaperTable(tableDefs[1]!, groups.filter((x) => x.spec.protocol.name === 'temporal'), ['eadro'], 'temporal');
    assert.ok(t.rows.filter((r) => r[0] === 'Eadro').every((r) => r.includes('not run')));
    // A paper row whose method is not registered says "not implemented", with the paper's numbers beside.
    const unimplemented = t.rows.filter((r) => r[0] === 'TraceAnomaly');
    assert.equal(unimplemented.length, 2);
    assert.ok(unimplemented.every((r) => r.includes('not implemented') && r.includes('0.486') === (r[3] === 'TT')));
    // The fake and trivial methods appear under their names, with the analytic trivial rows.
    assert.match(md, /\| fake-noisy-oracle \|/);
    assert.match(md, /\| all-anomalous \|/);
    assert.match(md, /all-anomalous \(analytic, prevalence/);
  });

  it('our cells are mean ± std over seeds with the episode-bootstrap CI of the stored metrics', () => {
    const groups = aggregateRuns(listFinishedRuns(dir), { resamples: 300 });
    const g = groups.find((x) => x.spec.method.name === 'all-anomalous' && x.spec.protocol.name === 'temporal' && x.spec.dataset.system === 'TT')!;
    assert.deepEqual(g.seeds, [0, 1]);
    const runs = listFinishedRuns(dir).filter((r) => r.metrics.configHash === g.configHash);
    const f1s = runs.map((r) => r.metrics.metrics['det.f1'] as number);
    assert.ok(Math.abs((g.metrics['det.f1']!.mean as number) - (f1s[0]! + f1s[1]!) / 2) < 1e-12);
    // Temporal test sets are the same for every seed and the detector flags all: F1 has zero spread.
    assert.equal(g.metrics['det.f1']!.std, 0);
    assert.ok(Math.abs((g.metrics['det.f1']!.mean as number) - (g.trivial['allAnomalous.det.f1'] as number)) < 1e-12, 'the all-anomalous method scores its analytic level');
    const ci = g.ci['det.f1']!;
    assert.ok(ci.lo <= (g.metrics['det.f1']!.mean as number) + 1e-12 && ci.hi >= (g.metrics['det.f1']!.mean as number) - 1e-12);
    assert.ok((g.metrics['det.f1']!.mean as number) > 0.5, 'the temporal test part holds faulty windows');
    const table = buildPaperTable(tableDefs[1]!, groups.filter((x) => x.spec.protocol.name === 'temporal'), [], 'temporal');
    const row = table.rows.find((r) => r[0] === 'all-anomalous' && r[3] === 'TT' && r[4] === 'TN counted')!;
    assert.equal(row[6], `${g.metrics['det.f1']!.mean!.toFixed(3)} ± 0.000 [${ci.lo.toFixed(3)}, ${ci.hi.toFixed(3)}]`);
  });

  it('maps methods to paper rows, Eadro ablations included', () => {
    const rows = Object.keys(paperTables().tableIV_ablation);
    assert.equal(paperRowOf({ name: 'eadro', ablation: 'without-kpis' }, rows), 'Eadro w/o M');
    assert.equal(paperRowOf({ name: 'eadro' }, rows), 'Eadro');
    assert.equal(paperRowOf({ name: 'ms-rf-ad' }, Object.keys(paperTables().tableII_detection)), 'MS-RF-AD');
    assert.equal(paperRowOf({ name: 'all-anomalous' }, rows), null);
    // the registered Table I detectors fill their paper rows
    const tableI = Object.keys(paperTables().tableI_detectors);
    assert.deepEqual(['n-sigma', 'fe-ml', 'spot'].map((name) => paperRowOf({ name }, tableI)), ['N-sigma', 'FE+ML', 'SPOT']);
  });

  it('the Variant column tells configurations of one method apart, leaving out training-budget params', () => {
    assert.equal(variantLabel({ name: 'eadro', variant: 'paper', params: { maxEpochs: 20, patience: 8, batchSize: 32 } }), 'paper');
    assert.equal(variantLabel({ name: 'eadro', variant: 'paper', params: { maxEpochs: 20, labelNoiseForget: 0.15, beta: 0.8 } }), 'paper beta=0.8 labelNoiseForget=0.15');
    assert.equal(variantLabel({ name: 'eadro', variant: 'paper', params: { without: ['logs'] } }), 'paper without=["logs"]');
    assert.equal(variantLabel({ name: 'spot', params: { level: 0.99 } }), 'level=0.99');
    assert.equal(variantLabel({ name: 'all-anomalous' }), '');
  });

  it('renders Markdown, CSV and LaTeX from one table', () => {
    const t: Table = { title: 'T_1 & co', columns: ['a', 'b|c'], rows: [['x, "y"', '0.5 ± 0.1']], notes: ['100 % sure'] };
    assert.equal(toMarkdown(t), '### T_1 & co\n\n| a | b\\|c |\n|---|---|\n| x, "y" | 0.5 ± 0.1 |\n\n- 100 % sure\n');
    assert.equal(toCsv(t), 'a,b|c\n"x, ""y""",0.5 ± 0.1\n');
    const tex = toLatex(t);
    assert.match(tex, /\\caption\{T\\_1 \\& co\}/);
    assert.match(tex, /x, "y" & 0\.5 \$\\pm\$ 0\.1 \\\\/);
    assert.match(tex, /100 \\% sure/);
    assert.equal(latexEscape('a_b#c'), 'a\\_b\\#c');
  });

  it("the paper's values beside results on other data are marked as such, or left out", () => {
    const groups = aggregateRuns(listFinishedRuns(dir), { resamples: 50 });
    const g = groups.find((x) => x.spec.method.name === 'all-anomalous' && x.spec.protocol.name === 'temporal' && x.spec.dataset.system === 'TT')!;
    // The same numbers as if Eadro had made them on three kinds of data.
    const as = (dataset: object) => ({ ...g, spec: { ...g.spec, method: { name: 'eadro' }, dataset } }) as typeof g;
    const f1Paper = (t: ReturnType<typeof buildPaperTable>) => t.rows.find((r) => r[0] === 'Eadro' && r[3] === 'TT' && r[4] === 'TN counted')![7];
    const table2 = tableDefs[1]!;
    assert.equal(f1Paper(buildPaperTable(table2, [as({ kind: 'testbed', system: 'TT', profile: 'quick', seed: 0 })], ['eadro'], 'temporal')), '0.989');
    assert.equal(f1Paper(buildPaperTable(table2, [as({ kind: 'raw', path: '/data/eadro-release/TT', system: 'TT', paperData: true })], ['eadro'], 'temporal')), '0.989');
    const other = as({ kind: 'raw', path: '/data/other-deployment', system: 'TT' });
    assert.equal(f1Paper(buildPaperTable(table2, [other], ['eadro'], 'temporal')), '0.989 (TT, other data)');
    assert.equal(f1Paper(buildPaperTable(table2, [other], ['eadro'], 'temporal', 'omit')), '–');
    assert.equal(isPaperData(other.spec), false);
    assert.equal(isPaperData(as({ kind: 'generated', generator: 'toy', system: 'TT' }).spec), false, 'generated windows are not the paper\'s data');
  });
});

describe('experiments/aggregate: paired comparison and fold coverage', function () {
  this.timeout(60_000);
  it('the paired bootstrap finds the noisy oracle better than random ranking on the same episodes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-compare-'));
    const e = { ...smallGrid, datasets: [smallGrid.datasets[0]!], protocols: [{ name: 'episode-disjoint' as const, params: { folds: 3 } }] };
    const quietBefore = process.env['EADRO_QUIET'];
    process.env['EADRO_QUIET'] = '1';
    const r = await runExperiment(e, { resultsDir: dir, poolSize: 0, extensions: [FAKE_METHODS], tables: { resamples: 100 } }).finally(() => {
      if (quietBefore === undefined) delete process.env['EADRO_QUIET'];
      else process.env['EADRO_QUIET'] = quietBefore;
    });
    assert.equal(r.summary.completed, 4);
    const runs = listFinishedRuns(dir);
    const byMethod = (name: string) => runs.filter((x) => x.metrics.spec.method.name === name);
    const c = compareRuns(byMethod('fake-noisy-oracle'), byMethod('all-anomalous'), 'loc.oracle.hr@1', { resamples: 500 });
    assert.equal(c.sharedEpisodes, 9, 'every episode tested once over the folds');
    assert.ok(c.lo > 0.3 && c.fractionAboveZero === 1, `A − B in [${c.lo}, ${c.hi}]`);
    // Fold coverage is stored with each run and written beside the tables.
    const stored = runs[0]!.metrics.coverage!;
    assert.ok(stored.length > 0 && stored.every((row) => typeof row.seenInTraining === 'boolean'));
    assert.ok(r.tables.some((f) => /episode-disjoint\/coverage-TT-generated-toy-seed0\.md$/.test(f)));
  });
});
