/** Pearson with numpy.corrcoef semantics (baselines.md §3.2) and the frontend correlations the localizers share. */
import { strict as assert } from 'node:assert';
import { frontendCorrelations, pearson } from '../../../src/baselines/localizers/correlation.js';
import { EadroError } from '../../../src/core/errors.js';
import { close } from './helpers.js';

describe('localizers/correlation', () => {
  it('matches hand-computed and numpy values', () => {
    // dx = [-2,-1,0,1,2], dy = [-2,0,1,0,1]: Sxy = 6, Sxx = 10, Syy = 6, r = 6/sqrt(60).
    close(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 6 / Math.sqrt(60));
    // Sxy = 8, Sxx = Syy = 10: r = 0.8.
    close(pearson([1, 2, 3, 4, 5], [1, 3, 2, 5, 4]), 0.8);
    // Orthogonal deviations: r = 0.
    close(pearson([1, 2, 3, 4, 5], [3, 1, 2, 1, 3]), 0);
    // numpy 2.4: np.corrcoef(x, y)[0, 1] = 0.5472715882748167; np.corrcoef([1..5], [5..1]) = -0.9999999999999999.
    close(pearson([3.1, -0.4, 2.2, 7.5, 1.0, 0.3], [1.2, 0.8, -2.5, 4.4, 0.0, 2.1]), 0.5472715882748167);
    close(pearson([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]), -1);
    close(pearson(Float64Array.from([2, 7, 1, 8]), [2, 7, 1, 8]), 1);
    // Invariant to affine changes of unit (ms vs s plus an offset).
    close(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5].map((v) => 1000 * v + 7)), 6 / Math.sqrt(60));
  });

  it('stays in [-1, 1] and is symmetric', () => {
    const x = [0.1, 0.2, 0.30000000000000004, 0.4];
    const r = pearson(x, x);
    assert.ok(r <= 1 && r >= 1 - 1e-15);
    close(pearson([3, 1, 4, 1, 5], [9, 2, 6, 5, 3]), pearson([9, 2, 6, 5, 3], [3, 1, 4, 1, 5]), 1e-15);
  });

  it('is NaN for a constant series, n < 2 and non-finite values (numpy semantics)', () => {
    assert.ok(Number.isNaN(pearson([1, 1, 1, 1], [1, 2, 3, 4])));
    assert.ok(Number.isNaN(pearson([1, 2, 3, 4], [5, 5, 5, 5])));
    // numpy returns 0 here (its mean of 0.1s is not exactly 0.1); a constant series means NaN.
    assert.ok(Number.isNaN(pearson([0.1, 0.1, 0.1], [1, 2, 3])));
    assert.ok(Number.isNaN(pearson([1], [2])));
    assert.ok(Number.isNaN(pearson([1, Number.NaN, 3], [1, 2, 3])));
  });

  it('refuses series of different lengths, naming y', () => {
    assert.throws(() => pearson([1, 2, 3], [1, 2]), (e: unknown) => e instanceof EadroError && e.details.field === 'y');
  });

  it('frontendCorrelations: 1 for the frontend, NaN counted as 0 and listed', () => {
    const { corr, nanServices } = frontendCorrelations([[1, 2, 3, 4, 5], [2, 4, 5, 4, 5], [4, 4, 4, 4, 4]], 0);
    assert.equal(corr[0], 1);
    close(corr[1] as number, 6 / Math.sqrt(60));
    assert.equal(corr[2], 0);
    assert.deepEqual(nanServices, [2]);
  });
});
