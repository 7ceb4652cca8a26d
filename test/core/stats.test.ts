import { strict as assert } from 'node:assert';
import { finiteOrNull, meanAndSampleStd, median } from '../../src/core/stats.js';

describe('core/stats', () => {
  it('median: the middle value, or the mean of the two middle ones', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('finiteOrNull keeps finite numbers (zero included) and turns NaN, infinities and undefined into null', () => {
    assert.equal(finiteOrNull(0), 0);
    assert.equal(finiteOrNull(-1.5), -1.5);
    for (const x of [Number.NaN, Infinity, -Infinity, undefined]) assert.equal(finiteOrNull(x), null, String(x));
  });

  it('meanAndSampleStd: mean and n-1 standard deviation of the finite values only', () => {
    const r = meanAndSampleStd([1, 2, 3, 4, null, Number.NaN, undefined]);
    assert.equal(r.n, 4);
    assert.equal(r.mean, 2.5);
    assert.ok(Math.abs(r.std! - Math.sqrt(5 / 3)) < 1e-12); // sum of squares 5, over n - 1 = 3
    assert.deepEqual(meanAndSampleStd([7]), { mean: 7, std: null, n: 1 });
    assert.deepEqual(meanAndSampleStd([null, Infinity]), { mean: null, std: null, n: 0 });
  });
});
