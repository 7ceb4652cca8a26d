/**
 * Multivariate Hawkes process with exponential kernel, fitted as tick's `HawkesADM4` does
 * (`X-DataInitiative/tick:tick/hawkes/inference/hawkes_adm4.py` and
 * `lib/cpp/hawkes/inference/hawkes_adm4.cpp`; Zhou, Zha & Song, AISTATS'13). See
 * `../shared/specs/baselines.md` §3.6.
 *
 *   lambda_u(t) = mu_u + sum_v sum_{t_k^v < t} a_uv * b * exp(-b (t - t_k^v))
 *
 * Objective: negative log-likelihood + lasso * |A|_1 + nuclear * |A|_*, minimised by ADMM with
 * auxiliaries Z1 (nuclear) and Z2 (L1), scaled duals U1, U2 and penalty rho; the A/mu subproblem is
 * solved by EM-like majorisation passes with closed-form updates. Times in seconds.
 */
import { EadroError } from '../core/errors.js';
import { createRng } from '../core/rng.js';

export interface HawkesFitOptions {
  /** Kernel decay b in 1/s. */
  decay: number;
  /** L1 penalty strength on A (tick: lasso_nuclear_ratio / C). */
  lasso: number;
  /** Nuclear-norm penalty strength on A (tick: (1 - lasso_nuclear_ratio) / C). */
  nuclear: number;
  /** ADMM augmented-Lagrangian penalty. */
  rho: number;
  /** Outer (ADMM) iterations at most. */
  maxIter: number;
  /** Stop when the relative change of mu and of A over one outer iteration are both <= tol. */
  tol: number;
  /** Seed of the random adjacency start. */
  seed: number;
  /** Inner EM passes per outer iteration at most. */
  emMaxIter: number;
  /** Convergence is checked (and the inner tolerance refreshed) every `recordEvery` outer iterations. */
  recordEvery: number;
  /** Starting value of every mu_u. */
  baselineStart: number;
  /** The adjacency starts uniform in [lo, hi). */
  adjacencyStartRange: [number, number];
}

export const hawkesDefaults: HawkesFitOptions = {
  decay: 3, // Eadro codes/preprocess/single_process.py: HawkesADM4(decay=3)
  lasso: 0.5 / 1e3, // tick defaults C = 1e3, lasso_nuclear_ratio = 0.5 -> strength_lasso = ratio / C
  nuclear: 0.5 / 1e3, // tick defaults -> strength_nuclear = (1 - ratio) / C
  rho: 0.1, // tick default
  maxIter: 50, // tick default max_iter
  tol: 1e-5, // tick default tol
  seed: 0, // ours: tick draws the start unseeded (np.random); we seed it for reproducibility
  emMaxIter: 30, // tick default em_max_iter
  recordEvery: 10, // tick default record_every (convergence is only checked on recorded iterations)
  baselineStart: 0.2, // Eadro single_process.py: fit(..., baseline_start=0.2 * ones)
  adjacencyStartRange: [0.5, 0.9], // tick: np.random.uniform(0.5, 0.9, (D, D)) when adjacency_start is None
};

export interface HawkesFit {
  /** mu [E], events per second. */
  baseline: Float64Array;
  /** a [E, E] row-major: a[u * E + v] = excitation of u by v (expected children of type u per v event). */
  adjacency: Float64Array;
  /** Outer iterations run. */
  iterations: number;
  /** Inner EM passes run, summed over outer iterations. */
  emPasses: number;
}

/**
 * Fit over all E types (tick's behaviour). `times` ascending (seconds, relative to the observation start),
 * `types[i]` in [0, E), `endTime` the observation length. A type with no events gets mu = 0 (the E-step
 * has nothing to sum over), as in tick.
 */
export function fitHawkesADM4(
  times: Float64Array,
  types: Int32Array,
  E: number,
  endTime: number,
  options: Partial<HawkesFitOptions> = {},
): HawkesFit {
  const o = { ...hawkesDefaults, ...options };
  validate(times, types, E, endTime, o);
  const D = E;
  const n = times.length;
  const rng = createRng(o.seed);
  const [lo, hi] = o.adjacencyStartRange;
  const mu = new Float64Array(D).fill(o.baselineStart);
  const A = new Float64Array(D * D);
  for (let k = 0; k < D * D; k++) A[k] = rng.uniform(lo, hi);
  if (n === 0) {
    // In tick every sum is empty: mu = 0 and, with C = K = 0 and zero duals, A = 0 after the first pass.
    return { baseline: new Float64Array(D), adjacency: new Float64Array(D * D), iterations: 0, emPasses: 0 };
  }
  const beta = o.decay;
  // G[i, v] = sum_{t_j^v < t_i} b exp(-b (t_i - t_j)): the kernel sums tick precomputes once (weights).
  const G = new Float64Array(n * D);
  const state = new Float64Array(D);
  let groupStart = 0;
  let stateTime = times[0] as number;
  for (let i = 0; i < n; i++) {
    const t = times[i] as number;
    if (t !== stateTime) {
      // Add the previous group of equal timestamps only now, so equal times do not excite each other (strict <).
      for (let j = groupStart; j < i; j++) state[types[j] as number]! += beta;
      const f = Math.exp(-beta * (t - stateTime));
      for (let v = 0; v < D; v++) state[v]! *= f;
      stateTime = t;
      groupStart = i;
    }
    G.set(state, i * D);
  }
  // K[v] = sum_{k in v} (1 - exp(-b (T - t_k))): the kernel integral (tick kernel_integral).
  const K = new Float64Array(D);
  for (let i = 0; i < n; i++) K[types[i] as number]! += 1 - Math.exp(-beta * (endTime - (times[i] as number)));

  // Sparse rows of G (CSR): a type that has not occurred yet contributes exact zeros, which the E-step
  // may skip without changing any sum (early events of a window see few types).
  const gStart = new Int32Array(n + 1);
  let nnz = 0;
  for (let k = 0; k < n * D; k++) if (G[k] !== 0) nnz++;
  const gIdx = new Int32Array(nnz);
  const gVal = new Float64Array(nnz);
  let p = 0;
  for (let i = 0; i < n; i++) {
    gStart[i] = p;
    for (let v = 0; v < D; v++) {
      const g = G[i * D + v] as number;
      if (g !== 0) {
        gIdx[p] = v;
        gVal[p] = g;
        p++;
      }
    }
  }
  gStart[n] = p;
  const { iterations, emPasses } = admm({ start: gStart, idx: gIdx, val: gVal }, types, n, D, K, endTime, mu, A, o);
  return { baseline: mu, adjacency: A, iterations, emPasses };
}

function validate(times: Float64Array, types: Int32Array, E: number, endTime: number, o: HawkesFitOptions): void {
  if (times.length !== types.length) {
    throw new EadroError('Hawkes input: times and types differ in length', {
      field: 'times/types',
      expected: 'equal lengths',
      found: `${times.length} vs ${types.length}`,
    });
  }
  if (!Number.isInteger(E) || E < 1) throw new EadroError('Hawkes input: bad dimension', { field: 'E', expected: 'an integer >= 1', found: String(E) });
  if (!(endTime > 0) || !Number.isFinite(endTime)) {
    throw new EadroError('Hawkes input: bad end time', { field: 'endTime', expected: 'a finite number > 0 (seconds)', found: String(endTime) });
  }
  for (let i = 0; i < times.length; i++) {
    const t = times[i] as number;
    const u = types[i] as number;
    if (!(t >= 0 && t <= endTime) || (i > 0 && t < (times[i - 1] as number))) {
      throw new EadroError('Hawkes input: times must be ascending within [0, endTime]', {
        field: `times[${i}]`,
        expected: `ascending values in [0, ${endTime}]`,
        found: String(t),
      });
    }
    if (!(u >= 0 && u < E)) {
      throw new EadroError('Hawkes input: event type out of range', { field: `types[${i}]`, expected: `an integer in [0, ${E})`, found: String(u) });
    }
  }
  if (!(o.decay > 0)) throw new EadroError('Hawkes option', { field: 'decay', expected: '> 0', found: String(o.decay) });
  if (!(o.rho > 0)) throw new EadroError('Hawkes option', { field: 'rho', expected: '> 0', found: String(o.rho) });
  if (!(o.lasso >= 0) || !(o.nuclear >= 0)) {
    throw new EadroError('Hawkes option', { field: 'lasso/nuclear', expected: '>= 0', found: `${o.lasso}/${o.nuclear}` });
  }
}

/** tick.solver.base.utils.relative_distance: |new - old| / |old| (|old| = 1 when 0). */
function relativeDistance(next: Float64Array, prev: Float64Array): number {
  let diff = 0;
  let norm = 0;
  for (let k = 0; k < next.length; k++) {
    const d = (next[k] as number) - (prev[k] as number);
    diff += d * d;
    norm += (prev[k] as number) * (prev[k] as number);
  }
  return Math.sqrt(diff) / (norm === 0 ? 1 : Math.sqrt(norm));
}

/** The ADMM loop of tick's `HawkesADM4._solve`; updates mu and A in place, returns the iteration counts. */
/** Kernel sums G [n, D] in compressed sparse rows: row k holds (v, g_kv) for g_kv != 0. */
interface SparseRows {
  start: Int32Array;
  idx: Int32Array;
  val: Float64Array;
}

function admm(
  G: SparseRows,
  types: Int32Array,
  n: number,
  D: number,
  K: Float64Array,
  endTime: number,
  mu: Float64Array,
  A: Float64Array,
  o: HawkesFitOptions,
): { iterations: number; emPasses: number } {
  const DD = D * D;
  const z1 = new Float64Array(DD);
  const z2 = new Float64Array(DD);
  const u1 = new Float64Array(DD);
  const u2 = new Float64Array(DD);
  const nextMu = new Float64Array(D);
  const nextC = new Float64Array(DD);
  const prevMu = new Float64Array(D);
  const prevA = new Float64Array(DD);
  const tmp = new Float64Array(DD);
  const Bk = new Float64Array(DD);
  const svd = new JacobiSvdWorkspace(D);
  const rho = o.rho;
  const rho8 = 8 * rho;
  const inv4rho = 1 / (4 * rho);
  let maxRelativeDistance = 1e-1; // tick's initial value before the first recorded iteration
  let iter = 0;
  let emPasses = 0;
  for (let i = 0; i < o.maxIter; i++) {
    iter = i + 1;
    const record = shouldRecord(i, o);
    if (record) {
      prevMu.set(mu);
      prevA.set(A);
    }
    const innerTol = maxRelativeDistance * 1e-2; // tick's heuristic when em_tol is None
    // B_uv = K_v + rho (-z1_uv + u1_uv - z2_uv + u2_uv) is fixed during the inner passes.
    for (let u = 0; u < D; u++) {
      for (let v = 0; v < D; v++) {
        const k = u * D + v;
        Bk[k] = (K[v] as number) + rho * ((u1[k] as number) - (z1[k] as number) + (u2[k] as number) - (z2[k] as number));
      }
    }
    for (let e = 0; e < o.emMaxIter; e++) {
      emPasses++;
      // E-step (tick estimate_ru), with the current mu and A.
      nextMu.fill(0);
      nextC.fill(0);
      const gStart = G.start;
      const gIdx = G.idx;
      const gVal = G.val;
      for (let k = 0; k < n; k++) {
        const u = types[k] as number;
        const row = u * D;
        const p0 = gStart[k] as number;
        const p1 = gStart[k + 1] as number;
        const muU = mu[u] as number;
        let norm = muU;
        for (let p = p0; p < p1; p++) norm += (A[row + (gIdx[p] as number)] as number) * (gVal[p] as number);
        const inv = 1 / norm;
        nextMu[u] = (nextMu[u] as number) + muU * inv;
        // nextC holds sum_k g_kv / norm_k; the factor a_uv (tick multiplies it in per event) is applied
        // once in the M-step: same value, D fewer multiplications per event.
        for (let p = p0; p < p1; p++) {
          const k2 = row + (gIdx[p] as number);
          nextC[k2] = (nextC[k2] as number) + (gVal[p] as number) * inv;
        }
      }
      // M-step (tick update_adjacency_u, update_baseline_u); the relative changes (tick's
      // relative_distance against the previous inner iterate) are accumulated on the fly.
      let dMu = 0;
      let nMu = 0;
      let dA = 0;
      let nA = 0;
      for (let u = 0; u < D; u++) {
        const row = u * D;
        for (let v = 0; v < D; v++) {
          const k = row + v;
          const B = Bk[k] as number;
          const old = A[k] as number;
          const c = old * (nextC[k] as number);
          // With c = 0 the root is |B| (sqrt(B * B) is exactly |B| in IEEE arithmetic), so skip the sqrt.
          const a = c === 0 ? (B < 0 ? -2 * B * inv4rho : 0) : (Math.sqrt(B * B + rho8 * c) - B) * inv4rho;
          A[k] = a;
          dA += (a - old) * (a - old);
          nA += old * old;
        }
        const oldMu = mu[u] as number;
        const m = (nextMu[u] as number) / endTime;
        mu[u] = m;
        dMu += (m - oldMu) * (m - oldMu);
        nMu += oldMu * oldMu;
      }
      const relMu = Math.sqrt(dMu) / (nMu === 0 ? 1 : Math.sqrt(nMu));
      const relA = Math.sqrt(dA) / (nA === 0 ? 1 : Math.sqrt(nA));
      if (Math.max(relMu, relA) < innerTol) break;
    }
    // Z1 = prox_nuclear(A + U1, step 1/rho); Z2 = prox_L1(A + U2, step 1/rho); U += A - Z.
    for (let k = 0; k < DD; k++) tmp[k] = (A[k] as number) + (u1[k] as number);
    svd.proxNuclear(tmp, o.nuclear / rho, z1);
    const l1 = o.lasso / rho;
    for (let k = 0; k < DD; k++) {
      const x = (A[k] as number) + (u2[k] as number);
      z2[k] = x > l1 ? x - l1 : x < -l1 ? x + l1 : 0;
    }
    for (let k = 0; k < DD; k++) {
      u1[k]! += (A[k] as number) - (z1[k] as number);
      u2[k]! += (A[k] as number) - (z2[k] as number);
    }
    if (record) {
      maxRelativeDistance = Math.max(relativeDistance(mu, prevMu), relativeDistance(A, prevA));
      // tick performs at least 5 iterations before it accepts convergence.
      if (maxRelativeDistance <= o.tol && i > 5) break;
    }
  }
  return { iterations: iter, emPasses };
}

/** tick's `_should_record_iter` with print_every = record_every: every record_every-th, and the last. */
function shouldRecord(i: number, o: HawkesFitOptions): boolean {
  if (o.maxIter < o.recordEvery) return false;
  return i % o.recordEvery === 0 || i + 1 === o.maxIter;
}

/**
 * Singular value soft-thresholding of a small square matrix by one-sided Jacobi (Hestenes) SVD:
 * orthogonalise the columns of W = M V by plane rotations; then sigma_j = |W_j| and
 * prox(M) = sum_j max(sigma_j - tau, 0) / sigma_j * W_j v_j^T.
 */
export class JacobiSvdWorkspace {
  private readonly W: Float64Array;
  private readonly V: Float64Array;
  /** Whether V holds the right singular vectors of the previous call (any orthogonal V is a valid start). */
  private warm = false;

  constructor(private readonly D: number) {
    this.W = new Float64Array(D * D);
    this.V = new Float64Array(D * D);
  }

  /** out = prox of tau * |.|_* at M (both [D, D] row-major). */
  proxNuclear(M: Float64Array, tau: number, out: Float64Array): void {
    const D = this.D;
    if (tau === 0) {
      out.set(M);
      return;
    }
    if (D === 1) {
      const x = M[0] as number;
      out[0] = x > tau ? x - tau : x < -tau ? x + tau : 0;
      return;
    }
    const W = this.W;
    const V = this.V;
    if (this.warm) {
      // Warm start: the ADMM iterates change little between calls, so W = M V_prev is nearly
      // column-orthogonal already and Jacobi needs one or two sweeps instead of five or more.
      for (let r = 0; r < D; r++) {
        for (let c = 0; c < D; c++) {
          let acc = 0;
          for (let k = 0; k < D; k++) acc += (M[r * D + k] as number) * (V[k * D + c] as number);
          W[r * D + c] = acc;
        }
      }
    } else {
      W.set(M);
      V.fill(0);
      for (let j = 0; j < D; j++) V[j * D + j] = 1;
      this.warm = true;
    }
    for (let sweep = 0; sweep < 60; sweep++) {
      let rotated = false;
      for (let p = 0; p < D - 1; p++) {
        for (let q = p + 1; q < D; q++) {
          let alpha = 0;
          let beta = 0;
          let gamma = 0;
          for (let r = 0; r < D; r++) {
            const wp = W[r * D + p] as number;
            const wq = W[r * D + q] as number;
            alpha += wp * wp;
            beta += wq * wq;
            gamma += wp * wq;
          }
          if (gamma === 0 || Math.abs(gamma) <= 1e-13 * Math.sqrt(alpha * beta)) continue;
          rotated = true;
          const zeta = (beta - alpha) / (2 * gamma);
          const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
          const c = 1 / Math.sqrt(1 + t * t);
          const s = c * t;
          for (let r = 0; r < D; r++) {
            const wp = W[r * D + p] as number;
            const wq = W[r * D + q] as number;
            W[r * D + p] = c * wp - s * wq;
            W[r * D + q] = s * wp + c * wq;
            const vp = V[r * D + p] as number;
            const vq = V[r * D + q] as number;
            V[r * D + p] = c * vp - s * vq;
            V[r * D + q] = s * vp + c * vq;
          }
        }
      }
      if (!rotated) break;
    }
    out.fill(0);
    for (let j = 0; j < D; j++) {
      let norm = 0;
      for (let r = 0; r < D; r++) norm += (W[r * D + j] as number) ** 2;
      const sigma = Math.sqrt(norm);
      if (sigma <= tau) continue;
      const scale = (sigma - tau) / sigma;
      for (let r = 0; r < D; r++) {
        const w = (W[r * D + j] as number) * scale;
        if (w === 0) continue;
        for (let c = 0; c < D; c++) out[r * D + c]! += w * (V[c * D + j] as number);
      }
    }
  }
}
