/** Shared by the localizer tests: tolerance checks, access matrices, a generated fault with a known root. */
import { strict as assert } from 'node:assert';
import type { LocalizerInput } from '../../../src/baselines/localizers/types.js';
import { createRng } from '../../../src/core/rng.js';

export const close = (actual: number, expected: number, tol = 1e-12): void => assert.ok(Math.abs(actual - expected) <= tol, `${actual} vs ${expected}`);

/** N x N access matrix (access[i][j] = 1 when i calls j) from caller -> callee pairs. */
export function accessOf(N: number, calls: [number, number][]): number[][] {
  const a = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  for (const [i, j] of calls) (a[i] as number[])[j] = 1;
  return a;
}

/**
 * Latency (ms per second, 300 s) of the call tree 0 -> 1 -> 2 -> 3, 0 -> 4, every service with the same
 * 1 ms noise, and a fault at the root 3: from second 150 its latency rises sharply by 8 ms; each caller
 * up the chain sees the rise 1 s later and 0.8 times smaller per hop; service 4 only has its noise.
 */
export function stepFaultChain(seed: number): LocalizerInput {
  const rng = createRng(seed);
  const base = [20, 15, 10, 5, 8];
  const hopsFromRoot: (number | null)[] = [3, 2, 1, 0, null];
  const series = base.map((b, k) => {
    const hops = hopsFromRoot[k] as number | null;
    return Float64Array.from({ length: 300 }, (_, t) => {
      let v = b + rng.normal();
      if (hops !== null && t - hops >= 150) v += Math.pow(0.8, hops) * 8;
      return v;
    });
  });
  return { series, access: accessOf(5, [[0, 1], [1, 2], [2, 3], [0, 4]]), frontend: 0 };
}
