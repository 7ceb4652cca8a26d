/**
 * The contract of the multi-class probabilistic classifiers behind the paper-derived baselines MS-RF and
 * MS-SVM (paper §V-B2; `../shared/specs/baselines.md` §3.4): a detector (2 classes) or a root-cause
 * localizer (one class per service) is fitted on window-summary features and then asked for class
 * probabilities. Implementations: `random-forest.ts`, `svm.ts`.
 */
import { EadroError } from '../../core/errors.js';

/** A dense row-major matrix [rows, cols]. */
export interface Matrix {
  rows: number;
  cols: number;
  values: Float32Array | Float64Array;
}

export interface ProbabilisticClassifier {
  /** y[i] in 0..classes-1; `classes` may include classes absent from y (their probability is then 0). */
  fit(X: Matrix, y: Int32Array, classes: number): void;
  /** [rows, classes] row-major class probabilities, each row sums to 1. */
  predictProba(X: Matrix): Float64Array;
  /** Settings and facts of the fit, recorded with runs (trees, depth reached, C, gamma, support vectors, which implementation ran...). */
  fitted(): Record<string, unknown>;
}

/**
 * Check a feature matrix: shape consistent with `values`, every entry finite, and (when given) `cols`
 * equal to the fitted width. Throws an EadroError naming `what` (e.g. 'X') and the first bad entry.
 */
export function checkMatrix(X: Matrix, what: string, cols?: number): void {
  if (!Number.isInteger(X.rows) || X.rows < 1 || !Number.isInteger(X.cols) || X.cols < 1) {
    throw new EadroError(`${what}: bad matrix shape`, { field: `${what}.rows/${what}.cols`, expected: 'positive integers', found: `${X.rows} x ${X.cols}` });
  }
  if (X.values.length !== X.rows * X.cols) {
    throw new EadroError(`${what}: values do not match the shape`, {
      field: `${what}.values.length`,
      expected: `rows·cols = ${X.rows * X.cols}`,
      found: String(X.values.length),
    });
  }
  if (cols !== undefined && X.cols !== cols) {
    throw new EadroError(`${what}: column count differs from the training matrix`, { field: `${what}.cols`, expected: String(cols), found: String(X.cols) });
  }
  const v = X.values;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    // x - x is NaN for NaN and ±Infinity, 0 otherwise: one test for both
    if (x - x !== 0) {
      throw new EadroError(`${what}: non-finite feature value`, {
        field: `${what}[${Math.floor(i / X.cols)}, ${i % X.cols}]`,
        expected: 'a finite number',
        found: String(x),
      });
    }
  }
}

/** Check labels against a training matrix: one per row, integers in 0..classes-1. Throws an EadroError naming the field. */
export function checkLabels(X: Matrix, y: Int32Array, classes: number): void {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new EadroError('classifier: bad class count', { field: 'classes', expected: 'a positive integer', found: String(classes) });
  }
  if (y.length !== X.rows) {
    throw new EadroError('classifier: one label per training row expected', { field: 'y.length', expected: `X.rows = ${X.rows}`, found: String(y.length) });
  }
  for (let i = 0; i < y.length; i++) {
    const c = y[i] as number;
    if (c < 0 || c >= classes) {
      throw new EadroError('classifier: label out of range', { field: `y[${i}]`, expected: `an integer in 0..${classes - 1}`, found: String(c) });
    }
  }
}

/** Per-class counts of y [classes]. */
export function classCounts(y: Int32Array, classes: number): Int32Array {
  const counts = new Int32Array(classes);
  for (let i = 0; i < y.length; i++) counts[y[i] as number]!++;
  return counts;
}

/**
 * sklearn's `class_weight='balanced'` (compute_class_weight): w_c = n / (k · n_c) over the k classes
 * present in y; absent classes get 0. With `mode` null every weight is 1.
 */
export function classWeights(y: Int32Array, classes: number, mode: 'balanced' | null): Float64Array {
  const w = new Float64Array(classes).fill(1);
  if (mode === null) return w;
  const counts = classCounts(y, classes);
  let present = 0;
  for (let c = 0; c < classes; c++) if ((counts[c] as number) > 0) present++;
  for (let c = 0; c < classes; c++) {
    const n = counts[c] as number;
    w[c] = n > 0 ? y.length / (present * n) : 0;
  }
  return w;
}
