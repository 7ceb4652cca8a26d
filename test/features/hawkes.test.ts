import { strict as assert } from 'node:assert';
import { createRng, type Rng } from '../../src/core/rng.js';
import { EadroError } from '../../src/core/errors.js';
import { fitHawkesADM4, hawkesDefaults, JacobiSvdWorkspace } from '../../src/features/hawkes.js';
import { simulateHawkes } from '../../src/features/hawkes-simulate.js';

/** Random orthogonal D x D matrix (Gram-Schmidt on Gaussian columns), row-major. */
function randomOrthogonal(D: number, rng: Rng): Float64Array {
  const Q = new Float64Array(D * D);
  for (let c = 0; c < D; c++) {
    const col = Array.from({ length: D }, () => rng.normal());
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let r = 0; r < D; r++) dot += (col[r] as number) * (Q[r * D + p] as number);
      for (let r = 0; r < D; r++) col[r] = (col[r] as number) - dot * (Q[r * D + p] as number);
    }
    const norm = Math.hypot(...col);
    for (let r = 0; r < D; r++) Q[r * D + c] = (col[r] as number) / norm;
  }
  return Q;
}

/** U diag(s) V^T. */
function compose(U: Float64Array, s: number[], V: Float64Array, D: number): Float64Array {
  const M = new Float64Array(D * D);
  for (let r = 0; r < D; r++) for (let c = 0; c < D; c++) for (let j = 0; j < D; j++) M[r * D + c]! += (U[r * D + j] as number) * (s[j] as number) * (V[c * D + j] as number);
  return M;
}

describe('features/hawkes (ADM4)', () => {
  it('recovers mu and the adjacency of simulated 2- and 3-type processes', function () {
    this.timeout(30000);
    // Tolerances: relative error of each mu < 15 %, each adjacency entry within 0.1 absolute. Observed
    // errors on these seeds: at most 7.9 % and 0.042 (horizons of 2,000-3,000 s, about 8,300 events each).
    const cases = [
      { mu: [0.6, 0.9], A: [0.3, 0.2, 0.0, 0.4], endTime: 3000, seed: 11 },
      { mu: [1.0, 0.5], A: [0.2, 0.0, 0.5, 0.25], endTime: 3000, seed: 12 },
      { mu: [0.6, 0.9, 0.5], A: [0.3, 0.2, 0, 0, 0.4, 0.1, 0.25, 0, 0.2], endTime: 2000, seed: 13 },
    ];
    for (const c of cases) {
      const E = c.mu.length;
      const sim = simulateHawkes(Float64Array.from(c.mu), Float64Array.from(c.A), 3, c.endTime, createRng(c.seed));
      const fit = fitHawkesADM4(sim.times, sim.types, E, c.endTime, { seed: c.seed });
      for (let u = 0; u < E; u++) {
        const rel = Math.abs((fit.baseline[u] as number) - (c.mu[u] as number)) / (c.mu[u] as number);
        assert.ok(rel < 0.15, `case ${c.seed}: mu[${u}] = ${fit.baseline[u]} vs ${c.mu[u]} (rel ${rel.toFixed(3)})`);
      }
      for (let k = 0; k < E * E; k++) {
        const err = Math.abs((fit.adjacency[k] as number) - (c.A[k] as number));
        assert.ok(err < 0.1, `case ${c.seed}: a[${k}] = ${fit.adjacency[k]} vs ${c.A[k]}`);
      }
      assert.ok(fit.iterations >= 1 && fit.iterations <= hawkesDefaults.maxIter);
    }
  });

  it('gives mu = 1/T for a lone event and mu = 0 for types without events', () => {
    const fit = fitHawkesADM4(Float64Array.from([1]), Int32Array.from([0]), 3, 10);
    // The E-step sum for the lone event is mu/mu = 1 (nothing precedes it), so mu_0 = 1 / T exactly.
    assert.equal(fit.baseline[0], 0.1);
    assert.equal(fit.baseline[1], 0);
    assert.equal(fit.baseline[2], 0);
    const empty = fitHawkesADM4(new Float64Array(0), new Int32Array(0), 2, 10);
    assert.deepEqual(Array.from(empty.baseline), [0, 0]);
  });

  it('scales mu by 1/endTime: an absolute end time (~1.65e9 s) gives mu near 1e-9', () => {
    const times = Float64Array.from([0.5, 1.2, 1.25, 3.0, 7.7]);
    const types = Int32Array.from([0, 1, 0, 1, 0]);
    const relative = fitHawkesADM4(times, types, 2, 10);
    const absolute = fitHawkesADM4(times, types, 2, 1.65e9 + 10);
    for (let u = 0; u < 2; u++) {
      assert.ok((relative.baseline[u] as number) > 0.01, `relative mu[${u}] = ${relative.baseline[u]}`);
      assert.ok((absolute.baseline[u] as number) > 0 && (absolute.baseline[u] as number) < 5e-9, `absolute mu[${u}] = ${absolute.baseline[u]}`);
    }
  });

  it('is deterministic for a seed; the seed only moves the random start', () => {
    const sim = simulateHawkes(Float64Array.from([0.5, 0.5]), Float64Array.from([0.2, 0.1, 0.1, 0.2]), 3, 200, createRng(4));
    const a = fitHawkesADM4(sim.times, sim.types, 2, 200, { seed: 1 });
    const b = fitHawkesADM4(sim.times, sim.types, 2, 200, { seed: 1 });
    const c = fitHawkesADM4(sim.times, sim.types, 2, 200, { seed: 2 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(Array.from(a.adjacency), Array.from(c.adjacency));
    for (let u = 0; u < 2; u++) assert.ok(Math.abs((a.baseline[u] as number) - (c.baseline[u] as number)) < 0.05);
  });

  it('treats simultaneous events as not exciting each other (strict t_j < t_i)', () => {
    // Two events at the same instant and nothing else: both see lambda = mu, so mu = 2 / T.
    const fit = fitHawkesADM4(Float64Array.from([2, 2]), Int32Array.from([0, 0]), 1, 10);
    assert.ok(Math.abs((fit.baseline[0] as number) - 0.2) < 1e-12);
  });

  it('soft-thresholds singular values in the nuclear prox (Jacobi SVD)', () => {
    const rng = createRng(8);
    for (const D of [2, 3, 5, 8]) {
      const U = randomOrthogonal(D, rng);
      const V = randomOrthogonal(D, rng);
      const s = Array.from({ length: D }, (_, j) => 2 / (j + 1));
      const tau = 0.45;
      const expected = compose(U, s.map((x) => Math.max(0, x - tau)), V, D);
      const out = new Float64Array(D * D);
      const ws = new JacobiSvdWorkspace(D);
      ws.proxNuclear(compose(U, s, V, D), tau, out);
      for (let k = 0; k < D * D; k++) assert.ok(Math.abs((out[k] as number) - (expected[k] as number)) < 1e-9, `D=${D} k=${k}`);
      // Warm-started second call on a nearby matrix gives the same answer as a cold workspace.
      const s2 = s.map((x) => x * 1.01);
      const warm = new Float64Array(D * D);
      const cold = new Float64Array(D * D);
      ws.proxNuclear(compose(U, s2, V, D), tau, warm);
      new JacobiSvdWorkspace(D).proxNuclear(compose(U, s2, V, D), tau, cold);
      for (let k = 0; k < D * D; k++) assert.ok(Math.abs((warm[k] as number) - (cold[k] as number)) < 1e-9);
    }
  });

  it('rejects bad input with named errors', () => {
    const t = Float64Array.from([1, 2]);
    const y = Int32Array.from([0, 1]);
    assert.throws(() => fitHawkesADM4(t, Int32Array.from([0]), 2, 10), (e: unknown) => e instanceof EadroError && /times\/types/.test(e.message));
    assert.throws(() => fitHawkesADM4(Float64Array.from([2, 1]), y, 2, 10), /times\[1\]/);
    assert.throws(() => fitHawkesADM4(t, Int32Array.from([0, 2]), 2, 10), /types\[1\]/);
    assert.throws(() => fitHawkesADM4(t, y, 2, 1.5), /times\[1\]/);
    assert.throws(() => fitHawkesADM4(t, y, 2, 0), /endTime/);
    assert.throws(() => fitHawkesADM4(t, y, 2, 10, { decay: 0 }), /decay/);
  });
});

describe('features/hawkes-simulate (Ogata thinning)', () => {
  it('matches the stationary rate mu / (1 - a) of a univariate process', () => {
    // Tolerance 10 %: the count's standard deviation is about sqrt(T mu / (1 - a)^3), i.e. 3 % here.
    for (const [mu, a, seed] of [
      [0.5, 0.5, 1],
      [1.0, 0.3, 2],
      [0.8, 0.0, 3],
    ] as const) {
      const T = 4000;
      const sim = simulateHawkes(Float64Array.from([mu]), Float64Array.from([a]), 3, T, createRng(seed));
      const expected = (mu / (1 - a)) * T;
      const rel = Math.abs(sim.times.length - expected) / expected;
      assert.ok(rel < 0.1, `mu=${mu} a=${a}: ${sim.times.length} events vs ${expected.toFixed(0)}`);
      for (let i = 1; i < sim.times.length; i++) assert.ok((sim.times[i] as number) > (sim.times[i - 1] as number));
      assert.ok((sim.times[sim.times.length - 1] as number) < T);
    }
  });

  it('matches the multivariate stationary rates (I - A)^-1 mu', () => {
    const mu = [0.4, 0.3];
    const A = [0.2, 0.3, 0.1, 0.4];
    const T = 4000;
    const sim = simulateHawkes(Float64Array.from(mu), Float64Array.from(A), 3, T, createRng(21));
    // Solve (I - A) r = mu for 2x2.
    const [a, b, c, d] = [1 - (A[0] as number), -(A[1] as number), -(A[2] as number), 1 - (A[3] as number)];
    const det = a * d - b * c;
    const rate = [(d * (mu[0] as number) - b * (mu[1] as number)) / det, (a * (mu[1] as number) - c * (mu[0] as number)) / det];
    for (let u = 0; u < 2; u++) {
      const count = sim.types.filter((t) => t === u).length;
      const rel = Math.abs(count - (rate[u] as number) * T) / ((rate[u] as number) * T);
      assert.ok(rel < 0.12, `type ${u}: ${count} vs ${((rate[u] as number) * T).toFixed(0)}`);
    }
  });

  it('is reproducible for a seed and rejects bad parameters', () => {
    const a = simulateHawkes(Float64Array.from([1]), Float64Array.from([0.5]), 3, 50, createRng(5));
    const b = simulateHawkes(Float64Array.from([1]), Float64Array.from([0.5]), 3, 50, createRng(5));
    assert.deepEqual(a, b);
    assert.throws(() => simulateHawkes(Float64Array.from([1]), Float64Array.from([0.5, 1]), 3, 50, createRng(5)), /adjacency/);
    assert.throws(() => simulateHawkes(Float64Array.from([-1]), Float64Array.from([0.5]), 3, 50, createRng(5)), /baseline\[0\]/);
  });
});
