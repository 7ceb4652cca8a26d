/**
 * Simulation of a multivariate Hawkes process with exponential kernel by Ogata's thinning
 * (Ogata 1981, "On Lewis' simulation method for point processes"), used to validate the ADM4 estimator
 * on data with known parameters (`../shared/specs/baselines.md` §3.6).
 *
 *   lambda_u(t) = mu_u + sum_v sum_{t_k^v < t} a_uv * b * exp(-b (t - t_k^v))
 *
 * Between events every intensity decays, so the total intensity just after the current time bounds it
 * until the next event: propose the next point from that bound, accept with probability
 * lambda(t) / bound, and draw its type in proportion to lambda_u(t).
 */
import { EadroError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';

/**
 * baseline mu [E] (events/s), adjacency a [E, E] row-major (a[u * E + v] = excitation of u by v), decay b
 * (1/s), horizon endTime (s). Returns ascending times in [0, endTime) and their types.
 */
export function simulateHawkes(
  baseline: Float64Array,
  adjacency: Float64Array,
  decay: number,
  endTime: number,
  rng: Rng,
): { times: Float64Array; types: Int32Array } {
  const E = baseline.length;
  if (adjacency.length !== E * E) {
    throw new EadroError('simulateHawkes: adjacency has the wrong size', { field: 'adjacency', expected: `${E * E} entries ([E, E])`, found: String(adjacency.length) });
  }
  if (!(decay > 0) || !(endTime > 0)) {
    throw new EadroError('simulateHawkes: decay and endTime must be positive', { field: 'decay/endTime', expected: '> 0', found: `${decay}/${endTime}` });
  }
  for (let k = 0; k < E; k++) if (!(baseline[k]! >= 0)) throw new EadroError('simulateHawkes: negative baseline', { field: `baseline[${k}]`, expected: '>= 0', found: String(baseline[k]) });
  for (let k = 0; k < E * E; k++) if (!(adjacency[k]! >= 0)) throw new EadroError('simulateHawkes: negative adjacency', { field: `adjacency[${k}]`, expected: '>= 0', found: String(adjacency[k]) });

  // excitation[u] = lambda_u(t) - mu_u at the current time t.
  const excitation = new Float64Array(E);
  const intensity = new Float64Array(E);
  const times: number[] = [];
  const types: number[] = [];
  let muTotal = 0;
  for (let u = 0; u < E; u++) muTotal += baseline[u] as number;
  let t = 0;
  for (;;) {
    let bound = muTotal;
    for (let u = 0; u < E; u++) bound += excitation[u] as number;
    if (bound <= 0) break;
    const wait = rng.exponential(bound);
    t += wait;
    if (t >= endTime) break;
    const f = Math.exp(-decay * wait);
    let total = 0;
    for (let u = 0; u < E; u++) {
      excitation[u]! *= f;
      intensity[u] = (baseline[u] as number) + (excitation[u] as number);
      total += intensity[u] as number;
    }
    if (rng.next() * bound >= total) continue; // rejected: the intensity decayed below the bound
    let r = rng.next() * total;
    let type = E - 1;
    for (let u = 0; u < E; u++) {
      r -= intensity[u] as number;
      if (r < 0) {
        type = u;
        break;
      }
    }
    times.push(t);
    types.push(type);
    for (let u = 0; u < E; u++) excitation[u]! += (adjacency[u * E + type] as number) * decay;
  }
  return { times: Float64Array.from(times), types: Int32Array.from(types) };
}
