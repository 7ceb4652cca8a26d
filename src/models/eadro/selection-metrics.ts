/**
 * The few validation numbers the trainer shows, records per epoch and selects the checkpoint by
 * (config.selectBy). These are quick summaries for the progress line, not the project's metrics
 * module (which computes the reported figures).
 */
import type { Prediction } from './infer.js';

export interface SelectionMetrics {
  /** Detection F1 at P(anomalous) > 0.5 (faulty = positive). NaN when undefined. */
  f1: number;
  /** Share of faulty windows whose culprit ranks first / in the top 3 (oracle detection). */
  hr1: number;
  hr3: number;
}

export function selectionMetrics(pred: Pick<Prediction, 'anomalyProb' | 'ranking'>, labels: ArrayLike<number>, N: number): SelectionMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let faulty = 0;
  let hit1 = 0;
  let hit3 = 0;
  for (let b = 0; b < labels.length; b++) {
    const l = labels[b]!;
    const flagged = pred.anomalyProb[b]! > 0.5;
    if (l >= 0) {
      faulty++;
      if (flagged) tp++;
      else fn++;
      for (let r = 0; r < Math.min(3, N); r++) {
        if (pred.ranking[b * N + r] === l) {
          if (r === 0) hit1++;
          hit3++;
        }
      }
    } else if (flagged) fp++;
  }
  const f1 = 2 * tp + fp + fn === 0 ? Number.NaN : (2 * tp) / (2 * tp + fp + fn);
  return { f1, hr1: faulty ? hit1 / faulty : Number.NaN, hr3: faulty ? hit3 / faulty : Number.NaN };
}
