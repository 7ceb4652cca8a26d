/**
 * The joint loss beta L_detect + (1 - beta) L_locate and its gradient with respect to the logits, on
 * host arrays; the same definition as ../loss.ts (eadroLoss), both detectors and both localizer masks.
 * Sums in float64.
 *
 * With `reducer` (data-parallel training, ../parallel/) the B windows here are one replica's part of the
 * batch: the normalisers (window count, localizer count) are summed across replicas first, so each
 * replica's losses and gradients are its share of the whole batch's, and the shares add up (the caller
 * sums them with the parameter gradients).
 */
import type { EadroConfig } from '../config.js';
import type { ReplicaReducer } from '../parallel/reducer.js';

export interface HostLoss {
  total: number;
  detect: number;
  locate: number;
  /** Gradients of `total` ([B, 1|2] and [B, N]), when asked for. */
  dDetect?: Float32Array;
  dLocate?: Float32Array;
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Detector margin (> 0: flagged anomalous) of window b. */
export function hostDetectMargin(config: EadroConfig, detectLogits: Float32Array, b: number): number {
  return config.detector === 'sigmoid-bce' ? detectLogits[b]! : detectLogits[2 * b + 1]! - detectLogits[2 * b]!;
}

export function hostLoss(
  config: EadroConfig,
  detectLogits: Float32Array,
  locateLogits: Float32Array,
  labels: Int32Array,
  N: number,
  withGradient: boolean,
  reducer?: ReplicaReducer,
): HostLoss {
  const B = labels.length;
  const beta = config.beta;
  const width = config.detector === 'sigmoid-bce' ? 1 : 2;
  const dDetect = withGradient ? new Float32Array(B * width) : undefined;
  const dLocate = withGradient ? new Float32Array(B * N) : undefined;
  // Localizer mask: faulty windows (ground truth), and flagged by the detector for the 'predicted' mask.
  const mask = new Uint8Array(B);
  let count = 0;
  for (let b = 0; b < B; b++) {
    if (labels[b]! < 0) continue;
    if (config.locateMask === 'predicted' && !(hostDetectMargin(config, detectLogits, b) > 0)) continue;
    mask[b] = 1;
    count++;
  }
  // Normalisers: this batch's, or the whole batch's across replicas (one reduction of both counts).
  let windows = B;
  if (reducer !== undefined) {
    const total = reducer.sum(Float64Array.of(B, count));
    windows = total[0]!;
    count = total[1]!;
  }
  let detectSum = 0;
  for (let b = 0; b < B; b++) {
    const y = labels[b]! >= 0 ? 1 : 0;
    if (config.detector === 'sigmoid-bce') {
      const l = detectLogits[b]!;
      detectSum += softplus(l) - l * y;
      if (dDetect) dDetect[b] = ((1 / (1 + Math.exp(-l)) - y) * beta) / windows;
    } else {
      const l0 = detectLogits[2 * b]!;
      const l1 = detectLogits[2 * b + 1]!;
      const m = Math.max(l0, l1);
      const lse = m + Math.log(Math.exp(l0 - m) + Math.exp(l1 - m));
      detectSum += lse - (y ? l1 : l0);
      if (dDetect) {
        const p1 = Math.exp(l1 - lse);
        dDetect[2 * b] = ((1 - p1 - (1 - y)) * beta) / windows;
        dDetect[2 * b + 1] = ((p1 - y) * beta) / windows;
      }
    }
  }
  const detect = detectSum / windows;
  const denom = Math.max(count, 1);
  let locateSum = 0;
  for (let b = 0; b < B; b++) {
    if (!mask[b]) continue;
    const o = b * N;
    let m = -Infinity;
    for (let n = 0; n < N; n++) m = Math.max(m, locateLogits[o + n]!);
    let s = 0;
    for (let n = 0; n < N; n++) s += Math.exp(locateLogits[o + n]! - m);
    const lse = m + Math.log(s);
    locateSum += lse - locateLogits[o + labels[b]!]!;
    if (dLocate) {
      const scale = (1 - beta) / denom;
      for (let n = 0; n < N; n++) dLocate[o + n] = (Math.exp(locateLogits[o + n]! - lse) - (n === labels[b] ? 1 : 0)) * scale;
    }
  }
  const locate = locateSum / denom;
  const out: HostLoss = { total: beta * detect + (1 - beta) * locate, detect, locate };
  if (dDetect) out.dDetect = dDetect;
  if (dLocate) out.dLocate = dLocate;
  return out;
}
