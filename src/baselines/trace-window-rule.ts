/**
 * From trace verdicts to window decisions, for the trace detectors of paper Table II (TraceAnomaly,
 * MultimodalTrace; `../shared/specs/baselines.md` §3.3, "window rule (ours)"). The paper scores them per
 * trace; to put them beside Eadro on the same test windows, a window is scored from the traces that
 * start in it:
 *
 * - `share`: the share of its traces judged anomalous (each detector's own trace-level rule);
 * - `max`: the highest trace score among them.
 *
 * A window without traces scores 0 (`share`) or the lowest trace score seen (`max`): no trace, no
 * evidence; such windows are counted. The threshold on the window score is the one with the best F1 on
 * the selection windows (validation; test only under the reference protocol's leak), flagging windows
 * whose score is at least the threshold.
 */
import type { TraceSet } from '../features/trace-records.js';
import { chooseBySelectionF1, selectionF1 } from './contract.js';

export type WindowRule = 'share' | 'max';
export const WINDOW_RULES: readonly WindowRule[] = ['share', 'max'];

/** Per-trace outputs of a trace detector, for the traces it judged. */
export interface TraceJudgement {
  /** Score of trace id t (higher = more anomalous); undefined for traces not judged. */
  score: Map<number, number>;
  /** Trace ids judged anomalous. */
  anomalous: Set<number>;
}

export const traceWindowRuleDefaults = {
  /** ours: at most this many candidate thresholds (quantiles of the selection scores) are tried. */
  maxCandidates: 400,
};

/** Window scores by `rule`, and how many windows had no judged trace. */
export function windowScores(ts: TraceSet, judged: TraceJudgement, windows: readonly number[], rule: WindowRule): { score: Float64Array; withoutTraces: number } {
  let lowest = Number.POSITIVE_INFINITY;
  if (rule === 'max') for (const v of judged.score.values()) if (v < lowest) lowest = v;
  if (!Number.isFinite(lowest)) lowest = 0;
  const score = new Float64Array(windows.length);
  let withoutTraces = 0;
  windows.forEach((w, i) => {
    let n = 0;
    let flagged = 0;
    let max = Number.NEGATIVE_INFINITY;
    for (let k = ts.windowOffsets[w]!; k < ts.windowOffsets[w + 1]!; k++) {
      const t = ts.windowTraces[k]!;
      const s = judged.score.get(t);
      if (s === undefined) continue;
      n++;
      if (judged.anomalous.has(t)) flagged++;
      if (s > max) max = s;
    }
    if (n === 0) {
      withoutTraces++;
      score[i] = rule === 'share' ? 0 : lowest;
    } else score[i] = rule === 'share' ? flagged / n : max;
  });
  return { score, withoutTraces };
}

/** The threshold with the best selection F1 (flag score ≥ threshold); Infinity flags nothing. */
export function chooseWindowThreshold(score: ArrayLike<number>, labels: ArrayLike<number>): { threshold: number; selectionF1: number | null; candidates: number } {
  const distinct = [...new Set(Array.from(score))].sort((a, b) => a - b);
  let candidates = distinct;
  if (distinct.length > traceWindowRuleDefaults.maxCandidates) {
    const m = traceWindowRuleDefaults.maxCandidates;
    candidates = [...new Set(Array.from({ length: m }, (_, i) => distinct[Math.round((i * (distinct.length - 1)) / (m - 1))]!))];
  }
  candidates.push(Number.POSITIVE_INFINITY);
  const flagsAt = (thr: number): boolean[] => Array.from(score, (s) => s >= thr);
  // Ties go to the lowest threshold tried first that reaches the best F1 (candidates ascend).
  const picked = chooseBySelectionF1(candidates, candidates[0]!, (thr) => selectionF1(flagsAt(thr), labels));
  const threshold = picked.chosen ?? Number.POSITIVE_INFINITY;
  return { threshold, selectionF1: picked.chosen === null ? null : (picked.byCandidate[String(picked.chosen)] as number), candidates: candidates.length };
}
