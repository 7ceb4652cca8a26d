import { strict as assert } from 'node:assert';
import { CulpritPrior } from '../../../src/baselines/localizers/culprit-prior.js';
import { makeSyntheticWindows } from '../../../src/models/synthetic.js';

describe('baselines/localizers/culprit-prior', () => {
  it('ranks services by their culprit frequency among the training faulty windows, ties by index', () => {
    const ds = makeSyntheticWindows({ N: 5, W: 12, seed: 1 });
    // Training: service 3 is the culprit of 3 windows, service 1 of 2, service 4 of 2, two normal windows.
    const labels = [3, 3, 1, -1, 4, 3, 1, 4, -1, 0, 2, 2];
    ds.labels.set(labels);
    const train = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const prior = new CulpritPrior();
    prior.fit({ ds, train, select: [], seed: 0 });
    // Counts [0, 2, 0, 3, 2]: 3 first, then 1 and 4 (tie: lower index first), then 0 and 2.
    assert.deepEqual(prior.rank(ds, [9, 10, 11]), [[3, 1, 4, 0, 2], [3, 1, 4, 0, 2], [3, 1, 4, 0, 2]]);
    assert.deepEqual(prior.fitted(), { faultyTrainingWindows: 7, culpritCounts: [0, 2, 0, 3, 2], topShare: 3 / 7 });
    // It reads no telemetry: the same ranking whatever the test windows hold.
    assert.deepEqual(prior.rank(ds, [3]), [[3, 1, 4, 0, 2]]);
  });

  it('refuses to rank before it is fitted, and ranks by index when training has no faulty window', () => {
    const ds = makeSyntheticWindows({ N: 3, W: 4, seed: 2 });
    assert.throws(() => new CulpritPrior().rank(ds, [0]), /before it is fitted/);
    ds.labels.set([-1, -1, 1, 2]);
    const prior = new CulpritPrior();
    prior.fit({ ds, train: [0, 1], select: [], seed: 0 });
    assert.deepEqual(prior.rank(ds, [2]), [[0, 1, 2]]);
    assert.equal(prior.fitted()['topShare'], null);
  });
});
