/**
 * Figure inputs from a trained model's outputs (src/models/eadro/infer.ts `Prediction`): the paper's
 * Fig. 6 idea (services of one window ranked by culprit probability) and Fig. 7 (t-SNE of the fused
 * representations H_F of abnormal windows, one panel per model variant, coloured by root cause).
 * Pure functions over plain arrays, so notebooks stay thin and tests need no model.
 */
import { EadroError } from '../core/errors.js';
import type { Seed } from '../core/rng.js';
import type { Figure } from './plotly.js';
import type { RankingFigureInput } from './ranking.js';
import { tsne2d, tsneDefaults } from './tsne.js';
import { tsneFigure, type TsnePanel } from './tsne-figure.js';

export const modelFiguresDefaults = {
  /** t-SNE iterations for Fig. 7 (tsne.ts default; tooling-notes §5 measured quality 1.000 at 500). */
  tsneIterations: tsneDefaults.iterations,
  /** Seed of the t-SNE layout (ours: fixed, so the figure is reproducible). */
  tsneSeed: 0 as Seed,
};

/** The parts of a prediction these figures read (row-major, as `Prediction` stores them). */
export interface ModelOutputs {
  /** [B, N] culprit probability per window and service. */
  culpritProb: ArrayLike<number>;
  /** [B, D] fused representation H_F per window. */
  fused: ArrayLike<number>;
  /** D, the width of `fused`. */
  fusedDim: number;
}

/**
 * Fig. 6 input for the window at `position` (0-based row of the prediction): every service with its
 * culprit probability, and the true culprit when the window is faulty (label >= 0).
 */
export function rankingInputFromPrediction(
  services: readonly string[],
  outputs: Pick<ModelOutputs, 'culpritProb'>,
  position: number,
  label: number,
  title?: string,
): RankingFigureInput {
  const n = services.length;
  const rows = outputs.culpritProb.length / n;
  if (!Number.isInteger(rows) || n === 0) {
    throw new EadroError('Culprit probabilities do not fit the services.', {
      field: 'culpritProb', expected: `a multiple of ${n} values ([B, N])`, found: `${outputs.culpritProb.length}`,
    });
  }
  if (!Number.isInteger(position) || position < 0 || position >= rows) {
    throw new EadroError('Window position out of range.', { field: 'position', expected: `an integer in [0, ${rows - 1}]`, found: String(position) });
  }
  const probabilities = Array.from({ length: n }, (_, j) => outputs.culpritProb[position * n + j] as number);
  return {
    services,
    probabilities,
    ...(label >= 0 ? { trueCulprit: services[label] } : {}),
    ...(title === undefined ? {} : { title }),
  };
}

/** Rows [D] of H_F for the given prediction positions. */
export function fusedRows(outputs: Pick<ModelOutputs, 'fused' | 'fusedDim'>, positions: readonly number[]): Float32Array[] {
  const d = outputs.fusedDim;
  const rows = outputs.fused.length / d;
  return positions.map((p) => {
    if (!Number.isInteger(p) || p < 0 || p >= rows) {
      throw new EadroError('Window position out of range.', { field: 'positions', expected: `integers in [0, ${rows - 1}]`, found: String(p) });
    }
    const row = new Float32Array(d);
    for (let j = 0; j < d; j++) row[j] = outputs.fused[p * d + j] as number;
    return row;
  });
}

/** One model variant's representations of abnormal windows, before embedding. */
export interface RepresentationSet {
  /** Panel title, e.g. "Eadro", "Eadro w/o logs". */
  variant: string;
  /** [M, D] H_F rows. */
  rows: readonly (readonly number[] | Float32Array)[];
  /** Root-cause service of each row. */
  rootCauses: readonly string[];
}

/**
 * Fig. 7: a seeded 2-D t-SNE per variant, then one panel each (tsne-figure.ts puts the leave-one-out
 * 1-NN accuracy of the root causes in each panel title).
 */
export function representationFigure(
  sets: readonly RepresentationSet[],
  options: { title?: string; tsneIterations?: number; seed?: Seed } = {},
): { figure: Figure; panels: TsnePanel[] } {
  const panels = sets.map((s) => {
    if (s.rows.length !== s.rootCauses.length) {
      throw new EadroError('Representations and root causes differ in length.', { field: `${s.variant}.rootCauses`, expected: `${s.rows.length}`, found: `${s.rootCauses.length}` });
    }
    const embedded = tsne2d(s.rows, {
      seed: options.seed ?? modelFiguresDefaults.tsneSeed,
      iterations: options.tsneIterations ?? modelFiguresDefaults.tsneIterations,
    }, `H_F of ${s.variant}`);
    return { variant: s.variant, points: embedded.points, rootCauses: s.rootCauses };
  });
  return { figure: tsneFigure({ panels, ...(options.title === undefined ? {} : { title: options.title }) }), panels };
}
