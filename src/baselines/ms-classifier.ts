/**
 * The paper's derived multi-source classifiers (paper §V-B2; `../shared/specs/baselines.md` §3.4):
 * MS-RF-AD / MS-SVM-AD, a binary classifier of whole windows, and MS-RF-RCL / MS-SVM-RCL, an N-way
 * classifier of the culprit trained on the faulty windows only, ranking services by class probability.
 * One object is both (the harness fits it once): `ms-rf.ts` and `ms-svm.ts` give it its classifier.
 *
 * Input: the early-fused multi-source series of src/windows/multi-source.ts (KPIs, log template counts
 * per second, span latency; z-scored per (service, channel) on the training windows), summarised per
 * (service, channel) over the window's T seconds by {mean, std, max, min, last} (baselines.md §3.4:
 * "summarise each channel with {mean, std, max, min, last}"): a row of N·C·5 features per window.
 *
 * Settings are chosen on the selection windows only (validation; test only under the reference
 * protocol's leak): the detector's candidate by F1 (TN counted), the localizer's by top-1 accuracy on
 * the faulty selection windows (HR@1 with oracle detection). A window is flagged when its probability of
 * being faulty is at least 0.5 (the classifiers' own decision, as sklearn's `predict`).
 */
import { EadroError } from '../core/errors.js';
import { fitMultiSourceLayout, multiSourceBlock, type MultiSourceLayout } from '../windows/multi-source.js';
import type { WindowDataset } from '../windows/types.js';
import type { Matrix, ProbabilisticClassifier } from './classifiers/types.js';
import { chooseBySelectionF1, selectionF1, type DetectorOutput, type FitInput, type WindowDetector, type WindowLocalizer } from './contract.js';

/** The per-channel statistics of a window, in column order within a (service, channel) block. */
export const summaryNames = ['mean', 'std', 'max', 'min', 'last'] as const;

export const msClassifierDefaults = {
  /** ours: P(faulty) at which a window is flagged (the classifier's own decision rule). */
  threshold: 0.5,
};

/** [B, N·C·5] summaries of `windows` (service-major, then channel, then statistic). */
export function windowSummaries(ds: WindowDataset, layout: MultiSourceLayout, windows: readonly number[]): Matrix {
  const { N, T, C } = layout;
  const S = summaryNames.length;
  const cols = N * C * S;
  const values = new Float32Array(windows.length * cols);
  const block = new Float32Array(N * T * C);
  windows.forEach((w, b) => {
    multiSourceBlock(ds, layout, w, block);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        let sum = 0;
        let max = Number.NEGATIVE_INFINITY;
        let min = Number.POSITIVE_INFINITY;
        for (let t = 0; t < T; t++) {
          const v = block[(n * T + t) * C + c]!;
          sum += v;
          if (v > max) max = v;
          if (v < min) min = v;
        }
        const mean = sum / T;
        let ss = 0;
        for (let t = 0; t < T; t++) ss += (block[(n * T + t) * C + c]! - mean) ** 2;
        const out = b * cols + (n * C + c) * S;
        values[out] = mean;
        values[out + 1] = Math.sqrt(ss / T);
        values[out + 2] = max;
        values[out + 3] = min;
        values[out + 4] = block[(n * T + T - 1) * C + c]!;
      }
    }
  });
  return { rows: windows.length, cols, values };
}

/** A classifier family: its candidate settings (the first is the default) and how to build one. */
export interface ClassifierFamily<S> {
  /** Method name for messages ('MS-RF', 'MS-SVM'). */
  name: string;
  candidates: readonly S[];
  make: (setting: S, seed: number) => ProbabilisticClassifier;
}

/** Rows of `m` (a fresh matrix). */
function rowsOf(m: Matrix, rows: readonly number[]): Matrix {
  const values = new Float32Array(rows.length * m.cols);
  rows.forEach((r, i) => values.set(m.values.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return { rows: rows.length, cols: m.cols, values };
}

/** Services by descending probability (ties: lower id first), one row per window. */
function rankingsOf(proba: Float64Array, rows: number, N: number): number[][] {
  return Array.from({ length: rows }, (_, b) => {
    const p = proba.subarray(b * N, (b + 1) * N);
    return Array.from({ length: N }, (_, i) => i).sort((x, y) => p[y]! - p[x]! || x - y);
  });
}

export class MsClassifier<S> implements WindowDetector, WindowLocalizer {
  readonly name: string;
  private layout: MultiSourceLayout | null = null;
  private detector: ProbabilisticClassifier | null = null;
  private localizer: ProbabilisticClassifier | null = null;
  private info: Record<string, unknown> = {};

  constructor(private readonly family: ClassifierFamily<S>) {
    this.name = family.name;
  }

  fit(input: FitInput): void {
    const { ds, train, select, seed } = input;
    const layout = fitMultiSourceLayout(ds, train);
    this.layout = layout;
    for (const line of layout.absent) if (process.env['EADRO_QUIET'] !== '1') process.stderr.write(`${this.name}: ${line}\n`);
    const N = ds.nodes.length;
    const X = windowSummaries(ds, layout, train);
    const Xsel = windowSummaries(ds, layout, select);
    const isFaulty = (w: number): boolean => ds.labels[w]! >= 0;
    const selLabels = select.map((w) => ds.labels[w]!);
    const t0 = performance.now();
    // AD: faulty (1) against normal (0).
    const yDetect = Int32Array.from(train, (w) => (isFaulty(w) ? 1 : 0));
    const detectors = new Map<string, ProbabilisticClassifier>();
    const detectChoice = chooseBySelectionF1(this.family.candidates, this.family.candidates[0]!, (setting) => {
      const model = this.family.make(setting, seed);
      model.fit(X, yDetect, 2);
      detectors.set(String(setting), model);
      if (select.length === 0) return null;
      const p = model.predictProba(Xsel);
      return selectionF1(Array.from({ length: select.length }, (_, i) => p[i * 2 + 1]! >= msClassifierDefaults.threshold), selLabels);
    });
    const detectSetting = detectChoice.chosen ?? this.family.candidates[0]!;
    this.detector = detectors.get(String(detectSetting))!;
    const detectSeconds = (performance.now() - t0) / 1000;
    // RCL: the culprit among N services, from the faulty training windows only.
    const faultyTrain = train.map((w, i) => [w, i] as const).filter(([w]) => isFaulty(w));
    if (faultyTrain.length === 0) throw new EadroError(`${this.name}-RCL needs faulty training windows.`, { field: 'split.train', expected: 'at least one window with a culprit label' });
    const Xf = rowsOf(X, faultyTrain.map(([, i]) => i));
    const yLocate = Int32Array.from(faultyTrain, ([w]) => ds.labels[w]!);
    const faultySel = select.map((w, i) => [w, i] as const).filter(([w]) => isFaulty(w));
    const XfSel = rowsOf(Xsel, faultySel.map(([, i]) => i));
    const t1 = performance.now();
    const localizers = new Map<string, ProbabilisticClassifier>();
    const accuracy: Record<string, number | null> = {};
    let locateSetting: S = this.family.candidates[0]!;
    let best: number | null = null;
    for (const setting of this.family.candidates) {
      const model = this.family.make(setting, seed);
      model.fit(Xf, yLocate, N);
      localizers.set(String(setting), model);
      if (faultySel.length === 0) {
        accuracy[String(setting)] = null;
        continue;
      }
      const ranks = rankingsOf(model.predictProba(XfSel), faultySel.length, N);
      const acc = ranks.filter((r, i) => r[0] === ds.labels[faultySel[i]![0]]).length / faultySel.length;
      accuracy[String(setting)] = acc;
      // Strictly better only: the default (first) keeps ties, as chooseBySelectionF1 does.
      if (best === null || acc > best) {
        best = acc;
        locateSetting = setting;
      }
    }
    this.localizer = localizers.get(String(locateSetting))!;
    this.info = {
      features: { rows: X.rows, columns: X.cols, perChannel: summaryNames, channels: { kpi: layout.channels.filter((c) => c.source === 'kpi').length, log: layout.channels.filter((c) => c.source === 'log').length, latency: layout.latencyChannel >= 0 ? 1 : 0 } },
      absentSources: layout.absent,
      detector: { chosen: detectSetting, selectionF1ByCandidate: detectChoice.byCandidate, fitSeconds: detectSeconds, model: this.detector.fitted() },
      localizer: { chosen: locateSetting, selectionHR1ByCandidate: accuracy, trainedOn: faultyTrain.length, fitSeconds: (performance.now() - t1) / 1000, model: this.localizer.fitted() },
      threshold: msClassifierDefaults.threshold,
    };
  }

  private fittedParts(): { layout: MultiSourceLayout; detector: ProbabilisticClassifier; localizer: ProbabilisticClassifier } {
    if (this.layout === null || this.detector === null || this.localizer === null) throw new Error(`${this.name}: fit() before detect() or rank()`);
    return { layout: this.layout, detector: this.detector, localizer: this.localizer };
  }

  detect(ds: WindowDataset, windows: readonly number[]): DetectorOutput {
    const { layout, detector } = this.fittedParts();
    const p = detector.predictProba(windowSummaries(ds, layout, windows));
    const score = Array.from({ length: windows.length }, (_, i) => p[i * 2 + 1]!);
    return { score, flagged: score.map((s) => s >= msClassifierDefaults.threshold) };
  }

  rank(ds: WindowDataset, windows: readonly number[]): number[][] {
    const { layout, localizer } = this.fittedParts();
    return rankingsOf(localizer.predictProba(windowSummaries(ds, layout, windows)), windows.length, ds.nodes.length);
  }

  fitted(): Record<string, unknown> {
    return this.info;
  }
}
