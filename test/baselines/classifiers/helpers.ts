/** Shared data and checks of the classifier tests. */
import { strict as assert } from 'node:assert';
import type { Matrix } from '../../../src/baselines/classifiers/types.js';
import { EadroError } from '../../../src/core/errors.js';
import { createRng } from '../../../src/core/rng.js';

/**
 * `rows` rows: columns 0..2 standard normal, y = the index of the largest; then `noise` standard-normal
 * columns, then one column per entry of `constants` holding that value (the last column is the last
 * constant). With `flip` given, each label is replaced by a random class with that probability (one
 * extra draw per row, also when flip is 0).
 */
export function argmaxProblem(rows: number, seed: number, o: { noise: number; constants: number[]; flip?: number }): { X: Matrix; y: Int32Array } {
  const rng = createRng(seed);
  const d = 3 + o.noise + o.constants.length;
  const values = new Float64Array(rows * d);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const at = i * d;
    for (let j = 0; j < 3 + o.noise; j++) values[at + j] = rng.normal();
    o.constants.forEach((c, k) => (values[at + 3 + o.noise + k] = c));
    let best = 0;
    for (let c = 1; c < 3; c++) if ((values[at + c] as number) > (values[at + best] as number)) best = c;
    y[i] = o.flip === undefined ? best : rng.next() < o.flip ? rng.int(3) : best;
  }
  return { X: { rows, cols: d, values }, y };
}

/** Row-wise argmax of [rows, K] probabilities. */
export function argmaxRows(P: Float64Array, rows: number, K: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let b = 0;
    for (let c = 1; c < K; c++) if ((P[r * K + c] as number) > (P[r * K + b] as number)) b = c;
    out[r] = b;
  }
  return out;
}

export function accuracy(pred: Int32Array, y: Int32Array): number {
  let hit = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) hit++;
  return hit / y.length;
}

/** Every entry in [0, 1] and every row summing to 1. */
export function assertRowsSumToOne(P: Float64Array, K: number): void {
  for (let r = 0; r < P.length / K; r++) {
    let s = 0;
    for (let c = 0; c < K; c++) {
      const p = P[r * K + c] as number;
      assert.ok(p >= 0 && p <= 1, `P[${r}, ${c}] = ${p}`);
      s += p;
    }
    assert.ok(Math.abs(s - 1) < 1e-9, `row ${r} sums to ${s}`);
  }
}

/** `fn` throws an EadroError whose field matches and which says what was expected. */
export function expectEadroError(fn: () => unknown, field: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof EadroError, `expected an EadroError, got ${String(err)}`);
    assert.match(err.details.field ?? '', field);
    assert.ok((err.details.expected ?? '').length > 0, 'the error says what was expected');
    return true;
  });
}
