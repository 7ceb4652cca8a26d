import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { simulate } from '../../src/testbed/index.js';
import { claimOneSection, claimThreeSection, detectabilitySection, falseAlarmSection, marginsOverBaselines, msBudgetNote, protocolComparison, reproduceDefaults, reproduceExperiment, traceDetectorBudgetNote, writeMainJobFigures } from '../../src/experiments/reproduce.js';
import { EVIDENCE, NORMAL_CONTEXT } from '../../src/evaluation/detectability.js';
import { expandGrid } from '../../src/experiments/grid.js';
import type { StoredRun } from '../../src/experiments/store.js';

describe('experiments/reproduce', () => {
  it('quick: Eadro under two protocols, its 4 ablations and MS-LSTM/MS-DCC under temporal, 2 trivial baselines, 3 Table I detectors, the 2 trace detectors, the 4 derived baselines and the 5 trace localizers, on TT and SN', () => {
    const e = reproduceExperiment('quick');
    assert.deepEqual(e.datasets.map((d) => d.system), ['TT', 'SN']);
    assert.ok(e.datasets.every((d) => d.kind === 'testbed' && d.profile === 'quick'));
    assert.deepEqual(e.methods.filter((m) => m.name === 'eadro').map((m) => `${m.variant}/${m.ablation}`), ['paper/none', 'paper/without-logs', 'paper/without-kpis', 'paper/without-traces', 'paper/without-graph', 'reference/none']);
    assert.deepEqual(e.protocols.map((p) => p.name), ['temporal', 'reference-random']);
    // Per system: full Eadro, the 2 trivial baselines, N-sigma, SPOT, FE+ML, TraceAnomaly, MultimodalTrace,
    // MS-RF, MS-SVM, MS-LSTM, MS-DCC, TBAC, NetMedic, MonitorRank, CloudRanger and DyCause under both
    // protocols, the 4 ablations under temporal.
    assert.deepEqual(e.methods.filter((m) => m.name !== 'eadro').map((m) => m.name), ['all-anomalous', 'random-guess', 'culprit-prior', 'n-sigma', 'spot', 'fe-ml', 'trace-anomaly', 'multimodal-trace', 'ms-rf', 'ms-svm', 'ms-lstm', 'ms-dcc', 'tbac', 'netmedic', 'monitor-rank', 'cloud-ranger', 'dycause']);
    // The trace detectors run at the quick budget the report states.
    assert.deepEqual(e.methods.find((m) => m.name === 'trace-anomaly')!.params, reproduceDefaults.quick.traceDetectorParams['trace-anomaly']);
    assert.match(traceDetectorBudgetNote('quick'), /smaller budget[\s\S]*posteriorFlow false[\s\S]*MultimodalTrace: hidden 32/);
    assert.match(traceDetectorBudgetNote('full'), /their authors' budgets/);
    assert.equal(reproduceExperiment('full').methods.find((m) => m.name === 'multimodal-trace')!.params, undefined, "the full form: the authors' budgets");
    // The deep derived baselines run at the quick budget the report states.
    assert.deepEqual(e.methods.find((m) => m.name === 'ms-lstm')!.params, reproduceDefaults.quick.msDeepParams);
    assert.match(msBudgetNote('quick'), /up to 8 epochs, batch 128, patience 3; Eadro: 20, 32, 8\) and run under `temporal` only/);
    assert.match(msBudgetNote('full'), /Eadro's budget/);
    const runs = expandGrid(e);
    // 16 methods under both protocols; the 4 ablations, the reference variant and MS-LSTM/MS-DCC under temporal only.
    assert.equal(runs.length, (16 * 2 + 4 + 1 + 2) * 2 * e.seeds.length);
    assert.ok(runs.filter((r) => r.spec.method.variant === 'reference').every((r) => r.spec.protocol.name === 'temporal'));
    assert.ok(runs.filter((r) => (r.spec.method.ablation ?? 'none') !== 'none').every((r) => r.spec.protocol.name === 'temporal'));
    assert.ok(runs.filter((r) => r.spec.method.name === 'ms-lstm' || r.spec.method.name === 'ms-dcc').every((r) => r.spec.protocol.name === 'temporal'));
    assert.ok(expandGrid(reproduceExperiment('full')).some((r) => r.spec.method.name === 'ms-lstm' && r.spec.protocol.name === 'reference-random'), 'the full form runs them under every protocol');
  });

  it('full: paper profile, 5 seeds, paper epochs; overrides apply', () => {
    const e = reproduceExperiment('full');
    assert.ok(e.datasets.every((d) => d.kind === 'testbed' && d.profile === 'paper'));
    assert.deepEqual(e.seeds, [0, 1, 2, 3, 4]);
    assert.equal(expandGrid(e).length, 23 * 2 * 2 * 5, 'every ablation and both variants under every protocol');
    const o = reproduceExperiment('quick', { seeds: [7, 8], maxEpochs: 2 });
    assert.deepEqual(o.seeds, [7, 8]);
    assert.equal((o.methods[0]!.params as { maxEpochs: number }).maxEpochs, 2);
  });

  it('compares the protocols from stored runs, only for the full Eadro model', () => {
    const run = (system: 'TT' | 'SN', protocol: string, ablation: string, f1: number): StoredRun =>
      ({
        dir: '',
        predictions: {} as never,
        metrics: {
          seed: 0,
          spec: { dataset: { kind: 'testbed', system, profile: 'quick', seed: 0 }, pipeline: {}, method: { name: 'eadro', ablation }, protocol: { name: protocol } },
          metrics: { 'det.f1': f1, 'ref.hr@1': null },
        },
      }) as unknown as StoredRun;
    const table = protocolComparison([run('TT', 'temporal', 'none', 0.5), run('TT', 'reference-random', 'none', 0.9), run('TT', 'temporal', 'without-logs', 0.1)]);
    const f1Row = table.split('\n').find((l) => l.startsWith('| TT | F1 (TN counted)'))!;
    assert.equal(f1Row, '| TT | F1 (TN counted) | 0.500 | 0.900 | +0.400 |');
    assert.match(table, /\| TT \| HR@1 as codes\/base\.py computes it \| n\/a \| n\/a \| n\/a \|/);
    assert.match(table, /\| SN \| F1 \(TN counted\) \| n\/a \| n\/a \| n\/a \|/);
  });

  it('reports paired margins of the full model over each comparator present, from the stored predictions', () => {
    // 4 fault episodes, each with 2 faulty windows (culprit node 1) and 2 normal ones, N = 3.
    const labels: number[] = [];
    const episodes: string[] = [];
    for (let e = 0; e < 4; e++) {
      labels.push(1, 1, -1, -1);
      episodes.push(...Array<string>(4).fill(`run/${e}`));
    }
    const run = (name: string, ablation: string, decide: (label: number) => boolean, ranking: number[][] | null, metrics: Record<string, number>): StoredRun =>
      ({
        dir: '',
        predictions: { storeVersion: 1, nodeCount: 3, windows: labels.map((_, i) => i), labels, episodes, folds: labels.map(() => 0), anomalyScore: null, predictedAnomalous: labels.map(decide), ranking },
        metrics: {
          seed: 0,
          spec: { dataset: { kind: 'testbed', system: 'TT', profile: 'quick', seed: 0 }, pipeline: {}, method: { name, ablation }, protocol: { name: 'temporal' } },
          metrics,
        },
      }) as unknown as StoredRun;
    const right = labels.map(() => [1, 0, 2]);
    const wrong = labels.map(() => [0, 2, 1]);
    const table = marginsOverBaselines(
      [
        run('eadro', 'none', (l) => l >= 0, right, { 'det.f1': 1, 'loc.e2e.hr@1': 1 }),
        run('eadro', 'without-logs', () => false, wrong, { 'det.f1': 0 }), // an ablation is not the full model
        run('all-anomalous', 'none', () => true, wrong, { 'det.f1': 2 / 3 }),
        run('random-guess', 'none', () => false, wrong, { 'loc.e2e.hr@1': 0 }),
      ],
      { resamples: 200 },
    );
    const rows = table.split('\n').slice(2);
    // Every episode has prevalence 1/2, so every resample gives F1 1 against 2/3: the interval is a point.
    assert.ok(rows.includes('| TT | F1 (TN counted) | 1.000 | all-anomalous | 0.667 | +0.333 [+0.333, +0.333] | 1.000 |'), table);
    // HR@1: the full model ranks the culprit first everywhere, random-guess never: +1 in every resample.
    assert.ok(rows.includes('| TT | HR@1 end-to-end | 1.000 | random-guess | 0.000 | +1.000 [+1.000, +1.000] | 1.000 |'), table);
    // MCC of random-guess's all-normal decisions is undefined (no predicted positives), so is the difference.
    assert.ok(rows.includes('| TT | MCC | n/a | random-guess | n/a | n/a | n/a |'), table);
    // No N-sigma, SPOT or FE+ML runs and no SN runs: no rows for them.
    assert.ok(rows.every((r) => /^\| TT \| .* \| (all-anomalous|random-guess) \|/.test(r)), table);
    assert.equal(rows.length, 4, table);
  });
  it('reports how detectable the test windows are and which of them the full model flags', () => {
    // 6 test windows of a 7-window dataset: 2 normal, 3 faulty with a symptom, 1 silent (window 6 is not tested).
    const evidence = Uint8Array.from([EVIDENCE.normal, EVIDENCE.symptom, EVIDENCE.symptom, EVIDENCE.silent, EVIDENCE.normal, EVIDENCE.symptom, EVIDENCE.silent]);
    const windows = [0, 1, 2, 3, 4, 5];
    const run = (system: string, seed: number, flags: boolean[], ablation = 'none'): StoredRun =>
      ({
        dir: '',
        predictions: { storeVersion: 1, nodeCount: 3, windows, labels: [], episodes: [], folds: [], anomalyScore: null, predictedAnomalous: flags, ranking: null },
        metrics: { seed, spec: { dataset: { kind: 'testbed', system, profile: 'quick', seed: 0 }, pipeline: {}, method: { name: 'eadro', ablation }, protocol: { name: 'temporal' } }, metrics: {} },
      }) as unknown as StoredRun;
    const table = detectabilitySection(
      [
        // Two seeds pooled: symptom windows flagged 3 + 2 of 6, the silent one 1 of 2, normal ones 1 of 4.
        run('TT', 0, [true, true, true, true, false, true]),
        run('TT', 1, [false, false, true, false, false, true]),
        run('TT', 0, [false, false, false, false, false, false], 'without-logs'), // not the full model
        run('SN', 0, [true, true, true, true, true, true]),
      ],
      { TT: evidence, SN: null },
    );
    const rows = table.split('\n').slice(2);
    // Prevalence 4/6: F1 flagging all 0.8; ceiling recall 3/4: F1 6/7 = 0.857.
    assert.ok(rows.includes('| TT | 6 | 4 | 3 | 1 | 0.800 | 0.857 | 0.833 | 0.500 | 0.250 |'), table);
    assert.ok(rows.includes('| SN | symptoms not recorded by this testbed version | | | | | | | | |'), table);
    assert.equal(rows.length, 2, table);

    // The false-alarm breakdown on the same runs: windows 0 and 4 are normal; 0 is clean, 4 holds a job.
    const context = Uint8Array.from([NORMAL_CONTEXT.clean, 255, 255, 255, NORMAL_CONTEXT.job, 255, 255]);
    const alarms = falseAlarmSection(
      [run('TT', 0, [true, true, true, true, false, true]), run('TT', 1, [false, false, true, false, true, true]), run('SN', 0, [true, true, true, true, true, true])],
      { TT: context, SN: null },
    );
    const alarmRows = alarms.split('\n').slice(2);
    // Seeds pooled: the clean window flagged 1 of 2, the job window 1 of 2; no neighbour-only window.
    assert.ok(alarmRows.includes('| TT | 2 | 1 | 1 | 0 | 0.500 | 0.500 | n/a |'), alarms);
    assert.ok(alarmRows.includes('| SN | distractors not recorded | | | | | | |'), alarms);
  });

  it("checks the paper's claim (3) from stored runs, whichever way it falls", () => {
    const run = (name: string, system: 'TT' | 'SN', mcc: number): StoredRun =>
      ({
        dir: '',
        predictions: {} as never,
        metrics: { seed: 0, spec: { dataset: { kind: 'testbed', system, profile: 'quick', seed: 0 }, pipeline: {}, method: { name }, protocol: { name: 'temporal' } }, metrics: { 'det.mcc': mcc } },
      }) as unknown as StoredRun;
    const runs = [run('eadro', 'TT', 0.5), run('ms-lstm', 'TT', 0.45), run('ms-dcc', 'TT', 0.41), run('ms-rf', 'TT', 0.4), run('ms-svm', 'TT', 0.2),
      run('eadro', 'SN', 0.5), run('ms-lstm', 'SN', 0.6), run('ms-dcc', 'SN', 0.3), run('ms-rf', 'SN', 0.9)];
    const table = claimThreeSection(runs);
    assert.match(table, /\| TT \| MCC \| 0\.500 \| 0\.450 \| 0\.410 \| 0\.400 \| 0\.200 \| yes \|/);
    assert.match(table, /\| SN \| MCC \| 0\.500 \| 0\.600 \| 0\.300 \| 0\.900 \| not run \| n\/a \(a method did not run\) \|/);
    assert.doesNotMatch(table, /F1 \(TN counted\)/, 'metrics no run has are left out');
    const flipped = claimThreeSection([...runs.slice(0, 4), run('ms-svm', 'TT', 0.42)]);
    assert.match(flipped, /\| TT \| MCC \| 0\.500 \| 0\.450 \| 0\.410 \| 0\.400 \| 0\.420 \| no \|/);
  });

  it("checks the paper's claim (1), multi-source above trace-only detection, whichever way it falls", () => {
    const run = (name: string, system: 'TT' | 'SN', prAuc: number): StoredRun =>
      ({
        dir: '',
        predictions: {} as never,
        metrics: { seed: 0, spec: { dataset: { kind: 'testbed', system, profile: 'quick', seed: 0 }, pipeline: {}, method: { name }, protocol: { name: 'temporal' } }, metrics: { 'det.prAuc': prAuc } },
      }) as unknown as StoredRun;
    const table = claimOneSection([run('eadro', 'TT', 0.93), run('trace-anomaly', 'TT', 0.83), run('multimodal-trace', 'TT', 0.71),
      run('eadro', 'SN', 0.77), run('trace-anomaly', 'SN', 0.79), run('multimodal-trace', 'SN', 0.58), run('eadro', 'SN', 0.77)]);
    assert.match(table, /^\| system \| metric \| eadro \| trace-anomaly \| multimodal-trace \| claim \(1\) holds \|/);
    assert.match(table, /\| TT \| PR-AUC \| 0\.930 \| 0\.830 \| 0\.710 \| yes \|/);
    assert.match(table, /\| SN \| PR-AUC \| 0\.770 \| 0\.790 \| 0\.580 \| no \|/);
    assert.doesNotMatch(table, /MCC/, 'metrics no run has are left out');
    assert.match(claimOneSection([run('eadro', 'TT', 0.9)]), /\| TT \| PR-AUC \| 0\.900 \| not run \| not run \| n\/a \(a method did not run\) \|/);
    // A run whose metric is undefined (MCC of a detector that flags every window) is not "not run".
    const flagsAll = { ...run('multimodal-trace', 'TT', 0.5), metrics: { ...run('multimodal-trace', 'TT', 0.5).metrics, metrics: { 'det.prAuc': null } } } as unknown as StoredRun;
    assert.match(claimOneSection([run('eadro', 'TT', 0.9), run('trace-anomaly', 'TT', 0.8), flagsAll]), /\| TT \| PR-AUC \| 0\.900 \| 0\.800 \| undefined \| n\/a \(undefined for a method\) \|/);
  });

  it('without Chromium the figures are written as HTML and the job says so, with how to get the PNGs', async function () {
    this.timeout(120_000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-figs-'));
    try {
      await simulate({ system: 'tt', profile: 'tiny', seed: 0, out: path.join(tmp, 'raw') });
      const r = await writeMainJobFigures(path.join(tmp, 'raw'), 'testbed TT tiny seed 0', path.join(tmp, 'figures'), { chromium: false });
      assert.ok(r.figures.length >= 3 && r.figures.every((f) => f.startsWith('figures/') && f.endsWith('.html')));
      for (const f of r.figures) assert.ok(fs.existsSync(path.join(tmp, f)), f);
      assert.match(r.note ?? '', /HTML only[\s\S]*Chromium[\s\S]*bash scripts\/setup-system\.sh[\s\S]*npm start/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
