import { strict as assert } from 'node:assert';
import { createRng } from '../../src/core/rng.js';
import { EadroError } from '../../src/core/errors.js';
import { leaveOneOutNearestNeighborAccuracy } from '../../src/figures/separation.js';
import { tsne2d } from '../../src/figures/tsne.js';

/** `k` Gaussian clusters of `perCluster` points in `dims` dimensions, centres ~N(0, spread^2). */
function clusters(seed: number, k: number, perCluster: number, dims: number, spread: number): { rows: number[][]; labels: number[] } {
  const rng = createRng(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: dims }, () => rng.normal(0, spread)));
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < k * perCluster; i++) {
    const c = i % k;
    rows.push(centres[c]!.map((m) => m + rng.normal(0, 1)));
    labels.push(c);
  }
  return { rows, labels };
}

describe('figures/tsne', () => {
  const data = clusters(11, 5, 24, 20, 4);

  it('same seed gives identical coordinates; another seed gives another layout', () => {
    const a = tsne2d(data.rows, { seed: 3, iterations: 250 });
    const b = tsne2d(data.rows, { seed: 3, iterations: 250 });
    const c = tsne2d(data.rows, { seed: 4, iterations: 250 });
    assert.deepEqual(a.points, b.points);
    assert.notDeepEqual(a.points, c.points);
    assert.equal(a.points.length, data.rows.length);
    assert.equal(a.druidSeed, b.druidSeed);
  });

  it('keeps well-separated clusters separated (leave-one-out 1-NN accuracy > 0.9 in 2-D)', () => {
    const { points } = tsne2d(data.rows, { seed: 1, iterations: 300 });
    const accuracy = leaveOneOutNearestNeighborAccuracy(points, data.labels);
    assert.ok(accuracy > 0.9, `1-NN accuracy ${accuracy}`);
  });

  it('lowers the perplexity below N for small inputs', () => {
    const small = clusters(2, 2, 5, 4, 5);
    const r = tsne2d(small.rows, { seed: 0, iterations: 50, perplexity: 30 });
    assert.equal(r.perplexity, 3);
    assert.ok(r.points.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  });

  it('rejects ragged, non-finite or too-small input with the field named', () => {
    assert.throws(() => tsne2d([[1, 2], [3]], {}, 'reps.json'), (e: unknown) => e instanceof EadroError && /rows\[1\]/.test(e.message) && /reps\.json/.test(e.message));
    assert.throws(() => tsne2d([[1, 2], [3, NaN]]), (e: unknown) => e instanceof EadroError && /rows\[1\]\[1\]/.test(e.message));
    assert.throws(() => tsne2d([[1, 2]]), (e: unknown) => e instanceof EadroError && /at least 2/.test(e.message));
  });
});

describe('figures/separation', () => {
  it('scores a known layout', () => {
    // Two tight pairs far apart, one mislabelled point in the second pair.
    const points = [[0, 0], [0, 0.1], [10, 10], [10, 10.1]];
    assert.equal(leaveOneOutNearestNeighborAccuracy(points, ['a', 'a', 'b', 'b']), 1);
    assert.equal(leaveOneOutNearestNeighborAccuracy(points, ['a', 'a', 'b', 'a']), 0.5);
  });
});
