import { strict as assert } from 'node:assert';
import { finiteOrNull, median } from '../../src/core/stats.js';

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
});
