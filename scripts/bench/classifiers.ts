/**
 * Timing of the MS-RF / MS-SVM classifiers (src/baselines/classifiers/) at the shapes of the baselines
 * (baselines.md §3.4, window-summary features): detection n = 2,800 × d = 17,000, 2 classes; localization
 * n = 1,500 × d = 17,000, 27 classes; predictProba on 1,500 rows. One thread, as the classifiers run.
 *
 *   npx tsx scripts/bench/classifiers.ts [--constant-fraction 0.5] [--only rf|svm] [--out FILE]
 *
 * Data (ours, seeded): float32; a fraction of the columns constant 0 (window summaries of channels a
 * service never emits; default half), the rest standard normal noise except 3 columns per class that
 * are shifted by +1 for rows of that class. The SVM's cost grows with the non-constant columns (kernel
 * products) and its support vectors (here nearly every row: the noise dominates the distances); the
 * forest's with the non-constant columns among the √d drawn per split.
 * Writes results/bench/classifiers.json (or --out) atomically, with the machine and its load average.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createRng } from '../../src/core/rng.js';
import { codeVersion, machineInfo } from '../../src/core/manifest.js';
import { writeJsonAtomic } from '../../src/core/io.js';
import type { Matrix, ProbabilisticClassifier } from '../../src/baselines/classifiers/types.js';
import { RandomForest } from '../../src/baselines/classifiers/random-forest.js';
import { RbfSvm } from '../../src/baselines/classifiers/svm.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: { 'constant-fraction': { type: 'string' }, only: { type: 'string' }, out: { type: 'string' } },
  strict: true,
});
const constantFraction = Number(flags['constant-fraction'] ?? '0.5');
if (!(constantFraction >= 0 && constantFraction < 1)) throw new Error(`--constant-fraction: expected a number in [0, 1), got ${flags['constant-fraction']}`);
const only = flags.only ?? 'all';
if (!['all', 'rf', 'svm'].includes(only)) throw new Error(`--only: expected rf or svm, got ${only}`);
const out = flags.out ?? path.join(ROOT, 'results', 'bench', 'classifiers.json');

const D = 17_000;
const TEST_ROWS = 1_500;
const shapes = [
  { name: 'detection', rows: 2_800, classes: 2 },
  { name: 'localization', rows: 1_500, classes: 27 },
];

/** `rows` rows of the synthetic problem (see the module comment); the constant columns are the same for every call. */
function synthetic(rows: number, classes: number, seed: number): { X: Matrix; y: Int32Array } {
  const layout = createRng('classifiers-bench-layout');
  const varying = new Uint8Array(D);
  for (let j = 0; j < D; j++) varying[j] = j < 3 * classes || layout.next() >= constantFraction ? 1 : 0;
  const rng = createRng(seed);
  const values = new Float32Array(rows * D);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const c = rng.int(classes);
    y[i] = c;
    const o = i * D;
    for (let j = 0; j < D; j++) if (varying[j] === 1) values[o + j] = rng.normal();
    for (let k = 0; k < 3; k++) values[o + k * classes + c]! += 1;
  }
  return { X: { rows, cols: D, values }, y };
}

function seconds(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

const figures: Record<string, unknown>[] = [];
const loadBefore = os.loadavg();
for (const shape of shapes) {
  const train = synthetic(shape.rows, shape.classes, 1);
  const test = synthetic(TEST_ROWS, shape.classes, 2);
  const models: [string, () => ProbabilisticClassifier][] = [
    ['RandomForest', () => new RandomForest({ seed: 1 })],
    ['RbfSvm', () => new RbfSvm({ seed: 1 })],
  ];
  for (const [name, make] of models) {
    if ((only === 'rf' && name !== 'RandomForest') || (only === 'svm' && name !== 'RbfSvm')) continue;
    const model = make();
    const fitSeconds = seconds(() => model.fit(train.X, train.y, shape.classes));
    let P = new Float64Array(0);
    const predictSeconds = seconds(() => {
      P = model.predictProba(test.X);
    });
    let hit = 0;
    for (let r = 0; r < TEST_ROWS; r++) {
      let b = 0;
      for (let c = 1; c < shape.classes; c++) if ((P[r * shape.classes + c] as number) > (P[r * shape.classes + b] as number)) b = c;
      if (b === test.y[r]) hit++;
    }
    const row = {
      model: name,
      shape: shape.name,
      trainRows: shape.rows,
      cols: D,
      classes: shape.classes,
      testRows: TEST_ROWS,
      fitSeconds,
      predictSeconds,
      testAccuracy: hit / TEST_ROWS,
      fitted: model.fitted(),
    };
    figures.push(row);
    process.stdout.write(`${name} ${shape.name}: fit ${fitSeconds.toFixed(2)} s, predictProba ${predictSeconds.toFixed(2)} s, accuracy ${row.testAccuracy.toFixed(3)}\n`);
  }
}

writeJsonAtomic(out, {
  benchmark: 'classifiers',
  createdAt: new Date().toISOString(),
  machine: { ...machineInfo(), cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown', cpuCount: os.cpus().length, node: process.version },
  loadAverage: { before: loadBefore, after: os.loadavg() },
  code: codeVersion(ROOT),
  data: { cols: D, constantFraction, informativeColumnsPerClass: 3, shift: 1, valueType: 'float32', seedTrain: 1, seedTest: 2 },
  threads: 1,
  figures,
});
process.stdout.write(`wrote ${path.relative(ROOT, out)}\n`);
