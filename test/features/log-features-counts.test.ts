import { strict as assert } from 'node:assert';
import { computeLogFeatures, computeLogFeaturesWithStats } from '../../src/features/log-features.js';

describe('features/log-features counts mode', () => {
  it('gives each type\'s events per second in the window, without a Hawkes fit', async () => {
    const start = 1_650_000_000;
    // One service, E = 3: type 0 at +1 s and +2 s, type 2 at +5 s, type 1 at +12 s (second window only).
    const service = { times: Float64Array.from([start + 1, start + 2, start + 5, start + 12]), types: Int32Array.from([0, 0, 2, 1]) };
    const starts = Float64Array.from([start, start + 10]);
    const { features, stats } = await computeLogFeaturesWithStats([service], starts, 10, 3, { workers: 1, mode: 'counts' });
    assert.deepEqual(Array.from(features), [0.2, 0, 0.1, 0, 0.1, 0].map((v) => Math.fround(v)));
    assert.equal(stats.fits, 0, 'no ADM4 fit');
    assert.equal(stats.events, 4);
    // Workers give the same values.
    const two = await computeLogFeatures([service], starts, 10, 3, { workers: 2, chunkWindows: 1, mode: 'counts' });
    assert.deepEqual(Array.from(two), Array.from(features));
    await assert.rejects(computeLogFeatures([service], starts, 10, 3, { mode: 'poisson' as never }), /'counts'/);
  });
});
