/**
 * Probability calibration and the decision threshold of a detector that outputs P(anomalous) (issue 25).
 *
 * Why: on unfamiliar data a model whose probabilities have run away (validation loss climbing while
 * validation F1 holds) flags by a 0.5 cut that means nothing; the threshold is then a choice to make on
 * validation and to record, and the calibration is a number to report beside F1.
 *
 * - `expectedCalibrationError`: ECE with equal-width bins (Guo et al., ICML 2017, Eq. 3):
 *   sum_b |B_b| / n * |acc(B_b) - conf(B_b)|, where conf is the mean predicted P(anomalous) in the bin
 *   and acc the share of truly anomalous windows in it (the positive-class reliability diagram).
 * - `chooseThreshold`: the cut on validation that maximises MCC (the project's detection judge on data
 *   with silent faulty windows, DEVELOPERS.md "Decided"), ties broken towards 0.5, with the rule and
 *   the validation figures recorded. A validation part without both classes cannot choose: 0.5 is kept
 *   and the reason returned.
 */
import { EadroError } from '../core/errors.js';
import { matthewsCorrelation } from './metrics.js';

export const calibrationDefaults = {
  bins: 10, // Guo et al. 2017 §2 (M = 15 there; 10 is the common reliability-diagram choice, e.g. sklearn calibration_curve)
  fallbackThreshold: 0.5, // the paper's sigmoid cut (Eq. 4) and the reference code's argmax of 2 classes
};

/** ECE of probabilities `prob` for binary truths `positive`, equal-width bins on [0, 1]. NaN when empty. */
export function expectedCalibrationError(prob: ArrayLike<number>, positive: ArrayLike<boolean>, bins = calibrationDefaults.bins): number {
  if (prob.length !== positive.length) {
    throw new EadroError('Calibration needs one truth per probability.', { field: 'positive', expected: `${prob.length} values`, found: String(positive.length) });
  }
  if (!Number.isInteger(bins) || bins < 1) throw new EadroError('Calibration bins must be a positive integer.', { field: 'bins', found: String(bins) });
  const n = prob.length;
  if (n === 0) return Number.NaN;
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const hits = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const p = prob[i]!;
    if (!(p >= 0 && p <= 1)) throw new EadroError('Calibration needs probabilities in [0, 1].', { field: 'prob', found: String(p) });
    const b = Math.min(bins - 1, Math.floor(p * bins)); // p = 1 falls in the last bin
    count[b]!++;
    conf[b]! += p;
    if (positive[i]) hits[b]!++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) ece += Math.abs(hits[b]! - conf[b]!) / n;
  return ece;
}

/** Matthews correlation for choosing a cut: 0 where it is undefined (an empty margin), as for chance. */
export function mccOf(tp: number, fp: number, fn: number, tn: number): number {
  return matthewsCorrelation({ tp, fp, fn, tn }) ?? 0;
}

export interface ThresholdChoice {
  /** The cut: a window is flagged when P(anomalous) >= threshold. */
  threshold: number;
  rule: 'validation-mcc' | 'fixed';
  /** MCC on the validation windows at the chosen cut, and at the fixed 0.5 (null when not computable). */
  validationMcc: number | null;
  validationMccAtHalf: number | null;
  /** Why the fixed cut was kept (null when validation chose). */
  fallback: string | null;
}

/**
 * The cut that maximises validation MCC among the midpoints between consecutive distinct validation
 * probabilities (and 0.5 itself), ties to the cut nearest 0.5. O(n log n).
 */
export function chooseThreshold(prob: ArrayLike<number>, positive: ArrayLike<boolean>): ThresholdChoice {
  const half = calibrationDefaults.fallbackThreshold;
  const n = prob.length;
  if (n !== positive.length) throw new EadroError('Threshold choice needs one truth per probability.', { field: 'positive', expected: `${n} values`, found: String(positive.length) });
  let pos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) pos++;
  const atCut = (cut: number): number => {
    let tp = 0;
    let fp = 0;
    for (let i = 0; i < n; i++) if (prob[i]! >= cut) positive[i] ? tp++ : fp++;
    return mccOf(tp, fp, pos - tp, n - pos - fp);
  };
  if (n === 0 || pos === 0 || pos === n) {
    return {
      threshold: half,
      rule: 'fixed',
      validationMcc: null,
      validationMccAtHalf: null,
      fallback: n === 0 ? 'no validation windows' : `validation windows are all ${pos === 0 ? 'normal' : 'faulty'}: MCC cannot choose a cut`,
    };
  }
  // Sweep cuts from high to low: each distinct probability, taken in descending order, flips its windows.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => prob[b]! - prob[a]!);
  let best = { cut: half, mcc: atCut(half) };
  const mccAtHalf = best.mcc;
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; ) {
    const p = prob[order[k]!]!;
    while (k < n && prob[order[k]!]! === p) (positive[order[k]!] ? tp++ : fp++), k++;
    // Everything >= p is flagged: the cut is the midpoint down to the next lower probability.
    const next = k < n ? prob[order[k]!]! : 0;
    const cut = (p + next) / 2;
    const mcc = mccOf(tp, fp, pos - tp, n - pos - fp);
    if (mcc > best.mcc + 1e-12 || (Math.abs(mcc - best.mcc) <= 1e-12 && Math.abs(cut - half) < Math.abs(best.cut - half))) best = { cut, mcc };
  }
  return { threshold: best.cut, rule: 'validation-mcc', validationMcc: best.mcc, validationMccAtHalf: mccAtHalf, fallback: null };
}
