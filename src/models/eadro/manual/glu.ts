/**
 * Gated linear unit after the fusion FC: f [R, 2E] -> f[:, :E] * sigmoid(f[:, E:]) [R, E].
 * Backward: da = dy sigmoid(g), dg = dy a sigmoid(g) (1 - sigmoid(g)).
 */
import type { Workspace } from './host.js';

export interface GluSaved {
  R: number;
  E: number;
  f: Float32Array;
  /** [R, E] sigmoid of the gate half. */
  gate: Float32Array;
}

export function gluForward(f: Float32Array, R: number, twoE: number, training: boolean, ws: Workspace): { out: Float32Array; saved?: GluSaved } {
  const E = twoE / 2;
  const out = ws.take('glu/out', R * E);
  const gate = ws.take('glu/gate', R * E);
  for (let r = 0; r < R; r++) {
    const fi = r * twoE;
    const oi = r * E;
    for (let e = 0; e < E; e++) {
      const s = 1 / (1 + Math.exp(-f[fi + E + e]!));
      gate[oi + e] = s;
      out[oi + e] = f[fi + e]! * s;
    }
  }
  return training ? { out, saved: { R, E, f, gate } } : { out };
}

/** dy [R, E] -> df [R, 2E]. */
export function gluBackward(s: GluSaved, dy: Float32Array, ws: Workspace): Float32Array {
  const { R, E, f, gate } = s;
  const df = ws.take('glu/df', R * 2 * E);
  for (let r = 0; r < R; r++) {
    const fi = r * 2 * E;
    const oi = r * E;
    for (let e = 0; e < E; e++) {
      const g = gate[oi + e]!;
      const d = dy[oi + e]!;
      df[fi + e] = d * g;
      df[fi + E + e] = d * f[fi + e]! * g * (1 - g);
    }
  }
  return df;
}
