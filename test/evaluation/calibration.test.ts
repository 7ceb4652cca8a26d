import { strict as assert } from 'node:assert';
import { EadroError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import { chooseThreshold, expectedCalibrationError, mccOf } from '../../src/evaluation/calibration.js';
import { isRunawayValLoss } from '../../src/models/eadro/train.js';

describe('evaluation/calibration', () => {
  it('ECE: a hand-computed case, 0 for perfectly calibrated bins, and the maximum for confident errors', () => {
    // Bin [0.1, 0.2): 0.15 x 2, one positive -> |0.5 - 0.15| * 2/4; bin [0.9, 1]: 0.95 x 2, both positive -> |1 - 0.95| * 2/4.
    const ece = expectedCalibrationError([0.15, 0.15, 0.95, 0.95], [true, false, true, true]);
    assert.ok(Math.abs(ece - ((0.35 * 2) / 4 + (0.05 * 2) / 4)) < 1e-12, String(ece));
    // Each bin's mean confidence equals its positive share: 0.25 (1 of 4) and 0.75 (3 of 4).
    assert.ok(expectedCalibrationError([0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75], [true, false, false, false, true, true, true, false]) < 1e-12);
    assert.equal(expectedCalibrationError([1, 1, 0, 0], [false, false, true, true]), 1);
    assert.ok(Number.isNaN(expectedCalibrationError([], [])));
    assert.throws(() => expectedCalibrationError([1.5], [true]), (e: unknown) => e instanceof EadroError && e.details.field === 'prob');
    assert.throws(() => expectedCalibrationError([0.5], []), EadroError);
  });

  it('chooses the known best cut on a constructed case (probabilities that ran away above 0.5)', () => {
    // A detector whose probabilities all sit above 0.5 flags everything at 0.5 (MCC 0); faulty windows
    // score 0.97-0.99 and normal ones 0.90-0.93: the cut between 0.93 and 0.97 separates them exactly.
    const prob = [0.9, 0.91, 0.92, 0.93, 0.97, 0.98, 0.99];
    const positive = [false, false, false, false, true, true, true];
    const c = chooseThreshold(prob, positive);
    assert.equal(c.rule, 'validation-mcc');
    assert.ok(Math.abs(c.threshold - 0.95) < 1e-12, String(c.threshold));
    assert.equal(c.validationMcc, 1);
    assert.equal(c.validationMccAtHalf, 0);
    assert.equal(c.fallback, null);
  });

  it('the chosen cut has the highest validation MCC of every possible cut (random cases), ties nearest 0.5', () => {
    const rng = createRng(5);
    for (let k = 0; k < 30; k++) {
      const n = 40;
      const positive = Array.from({ length: n }, () => rng.next() < 0.3);
      const prob = positive.map((p) => Math.round(Math.min(1, Math.max(0, (p ? 0.6 : 0.4) + rng.normal(0, 0.2))) * 20) / 20); // ties on purpose
      const c = chooseThreshold(prob, positive);
      const mccAt = (cut: number): number => {
        let tp = 0, fp = 0, fn = 0, tn = 0;
        prob.forEach((p, i) => (p >= cut ? (positive[i] ? tp++ : fp++) : positive[i] ? fn++ : tn++));
        return mccOf(tp, fp, fn, tn);
      };
      assert.ok(Math.abs(mccAt(c.threshold) - c.validationMcc!) < 1e-12);
      for (const cut of [...new Set(prob)].concat([0.5, 0])) assert.ok(mccAt(cut) <= c.validationMcc! + 1e-12, `cut ${cut} beats the chosen ${c.threshold}`);
    }
    // Two cuts with the same MCC: the one nearer 0.5 wins.
    const tie = chooseThreshold([0.1, 0.45, 0.8], [false, true, true]);
    assert.ok(tie.threshold > 0.1 && tie.threshold <= 0.45);
  });

  it('keeps 0.5 and says why when validation lacks a class', () => {
    for (const positive of [[true, true], [false, false]]) {
      const c = chooseThreshold([0.2, 0.8], positive);
      assert.equal(c.threshold, 0.5);
      assert.equal(c.rule, 'fixed');
      assert.match(c.fallback!, /validation windows are all (faulty|normal)/);
    }
    assert.match(chooseThreshold([], []).fallback!, /no validation windows/);
  });

  it('a validation loss above the ceiling times the lowest so far has run away (model selection skips it)', () => {
    assert.equal(isRunawayValLoss(130, [4, 9, 40], 3), true);
    assert.equal(isRunawayValLoss(11, [4, 9], 3), false);
    assert.equal(isRunawayValLoss(12.5, [Number.NaN, 4], 3), true);
    assert.equal(isRunawayValLoss(3, [], 3), false, 'the first epoch is its own lowest');
    assert.equal(isRunawayValLoss(Number.NaN, [1], 3), false);
    assert.equal(isRunawayValLoss(1e9, [1], Infinity), false, 'Infinity turns the guard off');
  });
});
