/**
 * How well labels separate in an embedding: leave-one-out 1-nearest-neighbour accuracy. Used to put
 * a number on a t-SNE panel (Fig. 7) instead of judging the picture by eye, and by the tests.
 */
import { EadroError } from '../core/errors.js';

/**
 * Fraction of points whose nearest other point (Euclidean) carries the same label. Ties go to the
 * lowest index, so the result is deterministic. 1 means every point sits next to its own label.
 * O(N^2 * D).
 */
export function leaveOneOutNearestNeighborAccuracy(points: readonly (readonly number[])[], labels: readonly (string | number)[]): number {
  const n = points.length;
  if (labels.length !== n) {
    throw new EadroError('Labels and points differ in length.', { field: 'labels', expected: `${n}`, found: `${labels.length}` });
  }
  if (n < 2) throw new EadroError('Need at least two points to score neighbours.', { field: 'points', found: `${n}` });
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const pi = points[i]!;
    let best = -1;
    let bestDistance = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const pj = points[j]!;
      let d = 0;
      for (let k = 0; k < pi.length; k++) {
        const diff = pi[k]! - pj[k]!;
        d += diff * diff;
      }
      if (d < bestDistance) {
        bestDistance = d;
        best = j;
      }
    }
    if (labels[best] === labels[i]) correct++;
  }
  return correct / n;
}
