/**
 * Seeded 2-D t-SNE for the paper's Fig. 7 (representations of abnormal windows, coloured by root
 * cause), through @saehrimnir/druidjs (LGPL-3.0).
 *
 * Why druidjs: tooling-notes §5 measured it 25-50x faster than tsne-js (the design card's choice,
 * exact O(N^2) in ndarray: 2,000 points x 500 iterations took 777 s against 14.6 s), with the same
 * quality on separable clusters. It is exact t-SNE (no Barnes-Hut), so cost still grows as N^2 per
 * iteration: keep N to a few thousand points.
 *
 * Determinism: druidjs draws its initial layout from its own sfc32 generator seeded by `seed` and
 * uses no other randomness, so one seed gives identical coordinates on one engine and library build
 * (druidjs documents that a WASM kernel and its JS fallback agree bit for bit for TSNE). The seed we
 * pass is derived from ours through `createRng(seed).fork('tsne')`, so string seeds work too.
 */
import { TSNE } from '@saehrimnir/druidjs';
import { createRng, type Seed } from '../core/rng.js';
import { EadroError } from '../core/errors.js';

export const tsneDefaults = {
  /** Effective number of neighbours (van der Maaten & Hinton 2008 suggest 5-50; 30 is sklearn's default). */
  perplexity: 30,
  /** Learning rate of druidjs's gradient step (druidjs example value, tooling-notes §5). */
  learningRate: 10,
  /** Gradient iterations (tooling-notes §5 measured quality 1.000 at 500). */
  iterations: 500,
  /** Seed of the initial layout. */
  seed: 0 as Seed,
};

export interface TsneOptions {
  perplexity?: number;
  learningRate?: number;
  iterations?: number;
  seed?: Seed;
}

export interface TsneResult {
  /** [N, 2] embedded coordinates, one row per input row, in input order. */
  points: [number, number][];
  /** Perplexity actually used (lowered to (N - 1) / 3 for small N, as it must stay below N). */
  perplexity: number;
  iterations: number;
  /** The integer seed handed to druidjs. */
  druidSeed: number;
}

/**
 * Embed `rows` ([N, D], N >= 2, every row the same length, finite) into 2-D with t-SNE.
 * `source` names the data in error messages.
 */
export function tsne2d(rows: readonly (readonly number[] | Float32Array | Float64Array)[], options: TsneOptions = {}, source = 'tsne input'): TsneResult {
  const n = rows.length;
  if (n < 2) throw new EadroError('t-SNE needs at least 2 points.', { file: source, field: 'rows', found: String(n) });
  const dims = rows[0]!.length;
  if (dims < 1) throw new EadroError('t-SNE rows must have at least one feature.', { file: source, field: 'rows[0]' });
  const matrix: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    if (row.length !== dims) {
      throw new EadroError('t-SNE rows must all have the same length.', {
        file: source, field: `rows[${i}]`, expected: `${dims} values`, found: `${row.length}`,
      });
    }
    const copy = new Array<number>(dims);
    for (let j = 0; j < dims; j++) {
      const v = row[j]!;
      if (!Number.isFinite(v)) {
        throw new EadroError('t-SNE input must be finite.', { file: source, field: `rows[${i}][${j}]`, found: String(v) });
      }
      copy[j] = v;
    }
    matrix[i] = copy;
  }
  const iterations = options.iterations ?? tsneDefaults.iterations;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new EadroError('t-SNE iterations must be a positive integer.', { file: source, field: 'iterations', found: String(iterations) });
  }
  const requested = options.perplexity ?? tsneDefaults.perplexity;
  if (!(requested > 0)) throw new EadroError('t-SNE perplexity must be positive.', { file: source, field: 'perplexity', found: String(requested) });
  // Perplexity is an effective neighbour count, so it must be well below N; (N - 1) / 3 is the bound
  // sklearn-style implementations use for the binary search to converge.
  const perplexity = Math.max(1, Math.min(requested, (n - 1) / 3));
  const druidSeed = createRng(options.seed ?? tsneDefaults.seed).fork('tsne').nextUint32();
  const model = new TSNE(matrix, {
    perplexity,
    epsilon: options.learningRate ?? tsneDefaults.learningRate,
    d: 2,
    seed: druidSeed,
  });
  const projected = model.transform(iterations) as unknown as ArrayLike<ArrayLike<number>>;
  const points: [number, number][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = projected[i]!;
    const x = p[0]!;
    const y = p[1]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      throw new EadroError('t-SNE diverged (non-finite coordinates); are many rows identical?', {
        file: source, field: `points[${i}]`, hint: 'lower the learning rate or the perplexity',
      });
    }
    points[i] = [x, y];
  }
  return { points, perplexity, iterations, druidSeed };
}
