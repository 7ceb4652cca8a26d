import { strict as assert } from 'node:assert';
import { ablationSection, faultTypeSection, resultFigureEntries, thresholdSection } from '../../src/experiments/main-job-results.js';
import type { StoredRun } from '../../src/experiments/store.js';

// 4 fault episodes of TT, each with 2 faulty windows (culprit node 1) and 2 normal ones, N = 3.
const labels: number[] = [];
const episodes: string[] = [];
for (let e = 0; e < 4; e++) {
  labels.push(1, 1, -1, -1);
  episodes.push(...Array<string>(4).fill(`run/${e}`));
}
const right = labels.map(() => [1, 0, 2]);
const wrong = labels.map(() => [0, 2, 1]);
const run = (name: string, ablation: string, decide: (label: number) => boolean, ranking: number[][] | null, metrics: Record<string, number>, protocol = 'temporal'): StoredRun =>
  ({
    dir: '',
    predictions: { storeVersion: 1, nodeCount: 3, windows: labels.map((_, i) => i), labels, episodes, folds: labels.map(() => 0), anomalyScore: null, predictedAnomalous: labels.map(decide), ranking },
    metrics: {
      seed: 0,
      configHash: `${name}/${ablation}/${protocol}`,
      spec: { dataset: { kind: 'testbed', system: 'TT', profile: 'quick', seed: 0 }, pipeline: {}, method: { name, ablation }, protocol: { name: protocol } },
      metrics,
    },
  }) as unknown as StoredRun;

describe('experiments/main-job-results', () => {
  const runs = [
    run('eadro', 'none', (l) => l >= 0, right, { 'det.f1': 1, 'det.mcc': 1, 'loc.e2e.hr@1': 1, 'loc.e2e.hr@5': 1 }),
    run('eadro', 'without-logs', (l) => l >= 0, wrong, { 'det.f1': 1, 'det.mcc': 1, 'loc.e2e.hr@1': 0, 'loc.e2e.hr@5': 1 }),
    run('eadro', 'without-graph', (l) => l >= 0, right, { 'det.f1': 1, 'loc.e2e.hr@1': 1 }, 'reference-random'), // another protocol
    run('all-anomalous', 'none', () => true, null, { 'det.f1': 2 / 3 }),
    run('random-guess', 'none', () => false, wrong, { 'loc.e2e.hr@1': 0 }),
  ];

  it('Table IV: each ablation beside the full model, paired differences, the paper\'s values, "not run" where absent', () => {
    const table = ablationSection(runs, { resamples: 200 });
    const rows = table.split('\n');
    assert.match(rows[0]!, /\| system \| model \| F1 \(TN counted\) \| MCC \| PR-AUC \| HR@1 end-to-end \| HR@5 end-to-end \| full − this, MCC \[95 % CI\] \| full − this, HR@1 end-to-end \[95 % CI\] \| paper F1 \/ HR@1 \/ HR@5 \|/);
    const full = rows.find((r) => r.startsWith('| TT | Eadro |'))!;
    assert.match(full, /\| 1\.000 \[1\.000, 1\.000\] \|/, full);
    assert.match(full, /\| – \| – \| 0\.989 \/ 0\.990 \/ 0\.993 \|$/, full);
    const noLogs = rows.find((r) => r.startsWith('| TT | Eadro w/o logs |'))!;
    // same decisions: MCC difference 0 in every resample; the culprit never first: HR@1 +1 in every resample
    assert.match(noLogs, /\| \+0\.000 \[\+0\.000, \+0\.000\] \| \+1\.000 \[\+1\.000, \+1\.000\] \| 0\.964 \/ 0\.926 \/ 0\.993 \|$/, noLogs);
    const noGraph = rows.find((r) => r.startsWith('| TT | Eadro w/o graph |'))!;
    assert.match(noGraph, /not run \| not run/, 'its only run is under another protocol');
    assert.ok(!rows.some((r) => r.startsWith('| SN')), 'no SN runs, no SN rows');
    assert.equal(ablationSection([]), '(no Eadro runs under `temporal` in the store)');
  });

  it('RQ1 and RQ2 figures: every method with its interval, the paper\'s value marked, the trivial level drawn', () => {
    const entries = resultFigureEntries(runs, { resamples: 200 });
    assert.deepEqual(entries.map((e) => e.id), ['rq1-detection', 'rq2-localization']);
    const [rq1, rq2] = entries;
    // TT F1 panel, ours: methods named by their paper row where they have one
    const ours = rq1!.figure.data[0]!;
    const names = ours['text'] as string[];
    assert.deepEqual([...names].sort(), ['Eadro', 'all-anomalous'].sort());
    assert.equal(ours.x![names.indexOf('Eadro')], 1);
    // every panel puts a method on the same row (the MCC panel lacks all-anomalous: undefined there)
    const mcc = rq1!.figure.data[2]!;
    const mccNames = mcc['text'] as string[];
    assert.ok(!mccNames.includes('all-anomalous'));
    assert.equal(mcc.y![mccNames.indexOf('Eadro')], ours.y![names.indexOf('Eadro')]);
    const paper = rq1!.figure.data[1]!;
    assert.deepEqual(paper.x, [0.989], 'the paper\'s F1 of Eadro (Table II, TT)');
    // the flag-everything level of F1 as a dotted line (prevalence 1/2: F1 2/3)
    const shapes = rq1!.figure.layout['shapes'] as { x0: number }[];
    assert.ok(Math.abs(shapes[0]!.x0 - 2 / 3) < 1e-9);
    const rq2Paper = rq2!.figure.data[1]!;
    assert.deepEqual(rq2Paper.x, [0.99], 'the paper\'s HR@1 of Eadro (Table III, TT)');
  });

  it('cut and calibration: both variants side by side, F1/MCC at 0.5 and at the recorded cut from the stored probabilities', () => {
    // Probabilities that ran away above 0.5: normal windows 0.8, faulty 0.9. At 0.5 everything is
    // flagged (MCC undefined); the recorded cut 0.85 (chosen on validation) separates them (MCC 1).
    const prob = labels.map((l) => (l >= 0 ? 0.9 : 0.8));
    const eadro = (variant: string): StoredRun =>
      ({
        dir: '',
        predictions: { storeVersion: 1, nodeCount: 3, windows: labels.map((_, i) => i), labels, episodes, folds: labels.map(() => 0), anomalyScore: prob, predictedAnomalous: prob.map((p) => p >= 0.85), ranking: right },
        metrics: {
          seed: 0,
          configHash: `eadro/${variant}`,
          spec: { dataset: { kind: 'testbed', system: 'TT', profile: 'quick', seed: 0 }, pipeline: {}, method: { name: 'eadro', variant, ablation: 'none' }, protocol: { name: 'temporal' } },
          metrics: {},
          info: [{ threshold: 0.85, thresholdRule: 'validation-mcc', selectedValLoss: 0.4, lowestValLoss: 0.2, runawayEpochs: 2, validationEce: 0.25 }],
        },
      }) as unknown as StoredRun;
    const rows = thresholdSection([eadro('paper')]).split('\n');
    assert.match(rows[0]!, /\| system \| variant \| seeds \| cut \(rule\) \| val loss selected \/ lowest \| run-away epochs \| ECE val \/ test \| F1 at 0\.5 \/ at cut \| MCC at 0\.5 \/ at cut \|/);
    const paper = rows.find((r) => r.startsWith('| TT | paper |'))!;
    // Test ECE: bin 0.8 holds the 8 normal windows (|0 - 0.8| * 8/16), bin 0.9 the 8 faulty ones (|1 - 0.9| * 8/16): 0.45.
    assert.equal(paper, '| TT | paper | 1 | 0.850 (validation-mcc) | 0.400 / 0.200 | 2 | 0.250 / 0.450 | 0.667 / 1.000 | n/a / 1.000 |'); // MCC is undefined when everything is flagged
    assert.ok(rows.includes('| TT | reference | 0 | not run | | | | | |'));
    assert.ok(rows.includes('| SN | paper | 0 | not run | | | | | |'));
  });

  it('per fault type: flagged share and HR@1 end-to-end per method, "–" for detection of localizers given the truth', () => {
    // Episodes 0-1 hold exception faults, 2-3 cpu_exhaustion (windows 0,1 | 4,5 | 8,9 | 12,13 faulty).
    const types = labels.map((l, i) => (l < 0 ? '' : i < 8 ? 'exception' : 'cpu_exhaustion'));
    const detectsCpuOnly = run('eadro', 'none', (l) => l >= 0, right, {});
    detectsCpuOnly.predictions.predictedAnomalous = labels.map((l, i) => l >= 0 && i >= 8);
    const table = faultTypeSection([detectsCpuOnly, run('tbac', 'none', (l) => l >= 0, wrong, {}), run('all-anomalous', 'none', () => true, null, {})], { TT: types });
    const rows = table.split('\n');
    assert.equal(rows[2], '| method | cpu_exhaustion: flagged / HR@1 e2e | exception: flagged / HR@1 e2e | normal flagged |');
    assert.ok(rows.includes('| eadro | 1.000 / 1.000 | 0.000 / 0.000 | 0.000 |'), table);
    assert.ok(rows.includes('| tbac | – / 0.000 | – / 0.000 | – |'), table);
    assert.ok(rows.includes('| all-anomalous | 1.000 / – | 1.000 / – | 1.000 |'), table);
  });
});
