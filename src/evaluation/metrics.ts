/**
 * Detection and localization metrics shared by every method, computed one way for all of them.
 *
 * Input is one row per test window: the ground-truth label (-1 = normal, else the culprit node index,
 * as `WindowDataset.labels`), the method's anomaly score (higher = more anomalous; optional), its
 * hard decision (anomalous or not) and its ranking of node ids (most likely culprit first).
 *
 * Conventions:
 * - "Positive" = a window whose ground truth is anomalous (label >= 0).
 * - A ratio whose denominator is zero is `null` (undefined), never a made-up 0 or 1: e.g. precision
 *   when nothing is flagged, recall or HR@k when the test part holds no faulty window, MCC when a
 *   row or column of the confusion matrix is empty. `null` also survives JSON, NaN does not.
 *
 * Our formulas (TN counted):
 *   precision = TP / (TP + FP)            recall (TPR) = TP / (TP + FN)
 *   F1        = 2TP / (2TP + FP + FN)     accuracy     = (TP + TN) / total
 *   MCC       = (TP·TN − FP·FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))
 *   FOR       = FN / (FN + TN)            (false omission rate; paper Table I "FOR")
 *   FPR       = FP / (FP + TN)            (the paper's Table I "FDR" is THIS quantity; we label it FPR)
 *   FDR       = FP / (FP + TP)            (the true false discovery rate)
 *   PR-AUC    = average precision from scores: Σ_n (R_n − R_{n−1}) · P_n over distinct score
 *               thresholds, highest first (sklearn `average_precision_score`, no interpolation)
 *   HR@k      = (1/|F|) Σ_{w∈F} [rank_w ≤ k]                       F = ground-truth faulty windows
 *   NDCG@k    = (1/|F|) Σ_{w∈F} [rank_w ≤ k] / log2(rank_w + 1)    one relevant node, ideal DCG = 1
 *   (rank_w is the 1-based position of the true culprit in the ranking.) "oracle" scores every faulty
 *   window's ranking whatever the detector said (the paper's RQ2 setting for baselines); "e2e"
 *   (end-to-end) counts a faulty window the detector missed as a miss.
 *
 * The official code's formulas (`codes/base.py` `BaseModel.evaluate`, BEbillionaireUSD/Eadro@03ab600),
 * reported under `ref.*` so the inflation can be shown, never as our result:
 *   normal→normal adds TP (!), normal→anomalous adds FP, faulty→normal adds FN, faulty→anomalous adds TP
 *   (whether or not localized correctly); there is no TN. pos = TP + FN.
 *   ref.F1 = 2TP / (TP + FP + pos),  ref.Rec = TP / pos,  ref.Pre = TP / (TP + FP)  (0 when a denominator is 0)
 *   ref.HR@k = hits@k / pos, ref.NDCG@k = Σ ndcg@k / pos, where hits only come from detected faulty
 *   windows but pos also counts correctly detected normal windows: HR@k < 1 whenever normals exist,
 *   and more false alarms (normal→anomalous moves a window out of pos) RAISE HR@k.
 *   The reference reports 0 (not undefined) for empty denominators of F1/Rec/Pre; we keep its 0 there
 *   to reproduce it, and its HR@k divides by pos unguarded (NaN in NumPy): we give null.
 */

/** Defaults of the metrics module. */
export const metricsDefaults = {
  /** HR@k cut-offs: paper Table III reports HR@1, HR@3, HR@5. */
  hitRateKs: [1, 3, 5] as readonly number[],
  /** NDCG@k cut-offs: paper Table III reports NDCG@3, NDCG@5. */
  ndcgKs: [3, 5] as readonly number[],
};

/** One value per metric name; null = undefined (a zero denominator), see the module comment. */
export type MetricRecord = Record<string, number | null>;

export interface ConfusionCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Per-window outputs of a method on the test windows, aligned with `labels`. */
export interface ScoredWindows {
  /** [B] ground truth: -1 = normal, else the culprit node index. */
  labels: ArrayLike<number>;
  /** [B] anomaly score, higher = more anomalous; null when the method gives only hard decisions. */
  anomalyScore: ArrayLike<number> | null;
  /** [B] the method's decision: 1/true = anomalous. */
  predictedAnomalous: ArrayLike<boolean | number>;
  /** [B][N] node ids, most likely culprit first. May be empty for detection-only methods. */
  ranking: ArrayLike<ArrayLike<number>> | null;
}

/** num / den, or null for an empty denominator (a metric that is undefined, not 0). */
export const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

/** Confusion counts with true negatives counted (label >= 0 is a positive). */
export function confusionCounts(labels: ArrayLike<number>, predictedAnomalous: ArrayLike<boolean | number>): ConfusionCounts {
  if (labels.length !== predictedAnomalous.length) {
    throw new Error(`confusionCounts: ${labels.length} labels but ${predictedAnomalous.length} predictions`);
  }
  const c: ConfusionCounts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const truth = (labels[i] as number) >= 0;
    const pred = Boolean(predictedAnomalous[i]);
    if (truth && pred) c.tp++;
    else if (truth) c.fn++;
    else if (pred) c.fp++;
    else c.tn++;
  }
  return c;
}

/** Matthews correlation of a confusion matrix; null when a margin is empty (zero denominator). */
export function matthewsCorrelation(c: ConfusionCounts): number | null {
  const { tp, fp, fn, tn } = c;
  const den = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn);
  return den === 0 ? null : (tp * tn - fp * fn) / Math.sqrt(den);
}

/** Ratio metrics of a confusion matrix (formulas in the module comment). */
export function detectionFromCounts(c: ConfusionCounts): MetricRecord {
  const { tp, fp, fn, tn } = c;
  return {
    'det.tp': tp,
    'det.fp': fp,
    'det.fn': fn,
    'det.tn': tn,
    'det.precision': ratio(tp, tp + fp),
    'det.recall': ratio(tp, tp + fn),
    'det.f1': ratio(2 * tp, 2 * tp + fp + fn),
    'det.accuracy': ratio(tp + tn, tp + fp + fn + tn),
    'det.mcc': matthewsCorrelation(c),
    'det.for': ratio(fn, fn + tn),
    'det.fpr': ratio(fp, fp + tn),
    'det.fdr': ratio(fp, fp + tp),
    'det.prevalence': ratio(tp + fn, tp + fp + fn + tn),
  };
}

/**
 * Average precision (area under the precision-recall curve, step-wise, no interpolation). Tied scores
 * form one threshold. Null when there is no positive window (recall undefined).
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  const n = labels.length;
  if (scores.length !== n) throw new Error(`averagePrecision: ${n} labels but ${scores.length} scores`);
  let positives = 0;
  for (let i = 0; i < n; i++) if ((labels[i] as number) >= 0) positives++;
  if (positives === 0) return null;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  let tp = 0;
  let seen = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let j = 0; j < n; ) {
    const threshold = scores[order[j] as number] as number;
    // Consume every window tied at this score: they cross the threshold together.
    while (j < n && scores[order[j] as number] === threshold) {
      if ((labels[order[j] as number] as number) >= 0) tp++;
      seen++;
      j++;
    }
    const recall = tp / positives;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
  }
  return ap;
}

/** 1-based rank of `culprit` in `ranking`, or Infinity when absent. */
export function rankOf(ranking: ArrayLike<number>, culprit: number): number {
  for (let r = 0; r < ranking.length; r++) if (ranking[r] === culprit) return r + 1;
  return Infinity;
}

/** Gain of one relevant item at 1-based rank r under NDCG@k (ideal DCG = 1). */
export function ndcgGain(rank: number, k: number): number {
  return rank <= k ? 1 / Math.log2(rank + 1) : 0;
}

/**
 * HR@k and NDCG@k over ground-truth faulty windows, oracle and end-to-end (module comment), and the
 * number of faulty windows they average over.
 */
export function localizationMetrics(
  w: ScoredWindows,
  hitRateKs: readonly number[] = metricsDefaults.hitRateKs,
  ndcgKs: readonly number[] = metricsDefaults.ndcgKs,
): MetricRecord {
  // Sums over faulty windows, per cut-off (same order as hitRateKs / ndcgKs).
  const hitsOracle = hitRateKs.map(() => 0);
  const hitsE2e = hitRateKs.map(() => 0);
  const gainsOracle = ndcgKs.map(() => 0);
  const gainsE2e = ndcgKs.map(() => 0);
  let faulty = 0;
  for (let i = 0; i < w.labels.length; i++) {
    const culprit = w.labels[i] as number;
    if (culprit < 0) continue;
    faulty++;
    const ranking = w.ranking?.[i];
    const rank = ranking === undefined ? Infinity : rankOf(ranking, culprit);
    const detected = Boolean(w.predictedAnomalous[i]);
    hitRateKs.forEach((k, j) => {
      const hit = rank <= k ? 1 : 0;
      hitsOracle[j] += hit;
      if (detected) hitsE2e[j] += hit;
    });
    ndcgKs.forEach((k, j) => {
      const gain = ndcgGain(rank, k);
      gainsOracle[j] += gain;
      if (detected) gainsE2e[j] += gain;
    });
  }
  const out: MetricRecord = { 'loc.faultyWindows': faulty };
  for (const [mode, hits, gains] of [['oracle', hitsOracle, gainsOracle], ['e2e', hitsE2e, gainsE2e]] as const) {
    hitRateKs.forEach((k, j) => (out[`loc.${mode}.hr@${k}`] = ratio(hits[j] as number, faulty)));
    ndcgKs.forEach((k, j) => (out[`loc.${mode}.ndcg@${k}`] = ratio(gains[j] as number, faulty)));
  }
  return out;
}

/** The official code's detection and localization numbers (module comment), under `ref.*`. */
export function referenceMetrics(
  w: ScoredWindows,
  hitRateKs: readonly number[] = metricsDefaults.hitRateKs,
  ndcgKs: readonly number[] = metricsDefaults.ndcgKs,
): MetricRecord {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const hits = new Map<number, number>(hitRateKs.map((k) => [k, 0]));
  const gains = new Map<number, number>(ndcgKs.map((k) => [k, 0]));
  for (let i = 0; i < w.labels.length; i++) {
    const culprit = w.labels[i] as number;
    const detected = Boolean(w.predictedAnomalous[i]);
    if (culprit < 0) {
      if (detected) fp++;
      else tp++; // the reference's quirk: a correctly quiet normal window is a "true positive"
      continue;
    }
    if (!detected) {
      fn++;
      continue;
    }
    tp++;
    const ranking = w.ranking?.[i];
    const rank = ranking === undefined ? Infinity : rankOf(ranking, culprit);
    for (const k of hitRateKs) hits.set(k, (hits.get(k) as number) + (rank <= k ? 1 : 0));
    for (const k of ndcgKs) gains.set(k, (gains.get(k) as number) + ndcgGain(rank, k));
  }
  const pos = tp + fn;
  const out: MetricRecord = {
    'ref.tp': tp,
    'ref.fp': fp,
    'ref.fn': fn,
    'ref.f1': tp + fp + pos > 0 ? (2 * tp) / (tp + fp + pos) : 0,
    'ref.recall': pos > 0 ? tp / pos : 0,
    'ref.precision': tp + fp > 0 ? tp / (tp + fp) : 0,
  };
  for (const k of hitRateKs) out[`ref.hr@${k}`] = ratio(hits.get(k) as number, pos);
  for (const k of ndcgKs) out[`ref.ndcg@${k}`] = ratio(gains.get(k) as number, pos);
  return out;
}

/**
 * Every metric of one method on one test set: ours (`det.*`, `loc.*`), PR-AUC (`det.prAuc`, null
 * without scores or positives), the reference formulas (`ref.*`), and the inference time per window
 * in microseconds, which the caller measures (`inferUsPerWindow`, null when not measured).
 */
export function computeMetrics(w: ScoredWindows, inferUsPerWindow: number | null = null): MetricRecord {
  const det = detectionFromCounts(confusionCounts(w.labels, w.predictedAnomalous));
  det['det.prAuc'] = w.anomalyScore === null ? null : averagePrecision(w.labels, w.anomalyScore);
  return { ...det, ...localizationMetrics(w), ...referenceMetrics(w), inferUsPerWindow };
}
