/**
 * The PC-style causal graph search that CloudRanger's reference learns its graph with
 * (`../shared/specs/baselines.md` §3.2 intro and "CloudRanger"; `PanYicheng/dycause_rca:
 * cloud_ranger/get_link_matrix.py` `build_graph_pc`, which runs `IC(RobustRegressionTest, alpha)` of the
 * `causality` package, `akelleh/causality:causality/inference/search/__init__.py`). Usable on its own:
 * `pcGraph(data)` on an [N][L] data matrix.
 *
 * What the reference runs (IC*, Pearl 2000, in the package's implementation):
 * 1. Skeleton (`_find_skeleton`): start from the complete undirected graph. For conditioning-set sizes
 *    d = 0, 1, 2, …: for every edge (x, y) still present when depth d starts (x < y, in node order),
 *    candidates = (adj(x) ∪ adj(y)) \ {x, y} in the CURRENT graph (the union of both neighbourhoods, not
 *    PC's adj(x) \ {y} and adj(y) \ {x} in turn; removals earlier in the same depth count, i.e. the
 *    original PC order, not PC-stable); test x ⫫ y | Z for every d-subset Z of the candidates; on the
 *    first independent one remove the edge and record Z as the separating set.
 *    Depth bound: the reference goes up to d = N + 1 (`max_k = len(nodes) + 1`), so in effect no bound.
 *    Ours: `maxCondSize` (default 3, `pcDefaults`) stops after d = maxCondSize. At N = 27 services and
 *    L ≈ 300 correlated points the unbounded search can run C(25, d) tests per edge at every depth;
 *    with the bound one call stays well under a second (measured: see cloud-ranger.ts). `Infinity` is
 *    the reference's unbounded search. The search also stops at the first depth where no edge has d
 *    candidates (nothing left to test; the reference's remaining depths are empty loops) and at the
 *    largest d the Fisher z test has a degree of freedom for (L − d − 3 ≥ 1).
 *    Test order (ours, deterministic): the reference takes the candidates from a Python `set` (string
 *    hashing, so the order of the d-subsets varies from run to run); ours are sorted ascending and the
 *    d-subsets enumerated in lexicographic order, so the separating set found is the first in that order.
 * 2. Orientation (`_orient_colliders`, then rules 1 and 2 until nothing changes):
 *    - collider: for each node c (ascending) and each pair a < b of its neighbours that are not adjacent,
 *      if c is not in sepset(a, b), put arrowheads at c on a–c and b–c (a → c ← b; unmarked);
 *    - rule 1: for each node c and non-adjacent neighbours a, b: if a–c has an arrowhead at c and b–c has
 *      none at c (and is not already a marked arrow into b), add a MARKED arrowhead at b on b–c
 *      (a → c → b, "genuine causation" in IC*); and the same with a and b swapped;
 *    - rule 2: for each edge a–b without an arrowhead at b: if a path of marked arrows leads from a to b,
 *      add an (unmarked) arrowhead at b; and the same from b to a.
 *    An edge can end with no arrowhead (undirected), one (a → b) or two (a ↔ b: IC*'s latent common cause).
 * 3. What `build_graph_pc` returns (`linkMatrix`): N[u][v] = 1 for each edge (u, v) of the returned
 *    networkx `Graph`, which is UNDIRECTED: the orientation of step 2 is computed and then dropped, and
 *    `graph.edges` lists each edge once as (u, v) with u before v in node order, i.e. u < v. So the link
 *    matrix is the skeleton's upper triangle: its "direction" is the services' index order, not a causal
 *    direction. CloudRanger walks on it as an access matrix (cloud-ranger.ts, `pcLinks`).
 *
 * Conditional independence test (ours): Fisher z on the partial correlation. The reference uses
 * `RobustRegressionTest`: statsmodels RLM (Huber) of y on [x, Z] WITHOUT an intercept, "independent" when
 * the confidence interval of x's coefficient, `conf_int(alpha=alpha/2)`, contains 0. The issue asks for
 * Fisher z (a Gaussian test, standard for PC on continuous data): z = atanh(r_xy·Z)·√(L − |Z| − 3),
 * p = 2·(1 − Φ(|z|)) with Φ the standard normal cdf from jstat; independent when p ≥ α (the reference's
 * closed interval: a bound exactly at 0 counts as independent). r_xy·Z comes from the correlation matrix:
 * r_xy·Z = (r_xy − r_xZ R_ZZ⁻¹ r_Zy)/√((1 − r_xZ R_ZZ⁻¹ r_Zx)(1 − r_yZ R_ZZ⁻¹ r_Zy)), R_ZZ⁻¹ applied by
 * ml-matrix's Cholesky solve (its pseudo-inverse when R_ZZ is singular: duplicated series).
 * - The reference's CI at α/2 makes its effective two-sided level α/2 (0.05 for α = 0.1). `halfAlpha:
 *   true` tests at α/2 like it; the default (false) tests at α as baselines.md states.
 * - Correlations are Pearson with `np.corrcoef` semantics (correlation.ts), centred, so no intercept
 *   issue. A constant series has NaN correlations (numpy); ours treats them as 0 (the localizers' NaN
 *   policy, correlation.ts), so it is independent of everything and loses its edges at d = 0. |r| = 1
 *   gives p = 0 (dependent). When x (or y) is a linear function of Z (residual variance < 1e-12), x ⫫ y | Z
 *   holds trivially: r_xy·Z = 0.
 */
// tslab type-checks notebook imports without our tsconfig's include list, so the typing is referenced here.
/// <reference path="../../types/jstat.d.ts" />
import jstatPkg from 'jstat';
import { CholeskyDecomposition, Matrix, pseudoInverse } from 'ml-matrix';
import { EadroError, preview } from '../../core/errors.js';
import { pearson } from './correlation.js';

const { jStat } = jstatPkg;

export const pcDefaults = {
  /** get_link_matrix.py `build_graph_pc(data, alpha)` with main_cloud_ranger.py `test_cloud_ranger(pc_alpha=0.1)`. Significance level of each CI test. */
  alpha: 0.1,
  /**
   * Ours: the largest conditioning set tested (the reference: N + 1, unbounded in effect). 3 keeps a
   * CloudRanger call at N = 27, L = 301 well under a second (cloud-ranger.ts module comment has the
   * measurement); `Infinity` is the reference's unbounded search.
   */
  maxCondSize: 3,
  /** Reference quirk (RobustRegressionTest's `conf_int(alpha=alpha/2)`): true tests at level α/2. Default false: level α. */
  halfAlpha: false,
};

export type PcOptions = typeof pcDefaults;

/** The result of `pcGraph` (module comment). Matrices are [N][N] of 0/1. */
export interface PcResult {
  /** Number of variables N. */
  n: number;
  /** Number of samples L per variable. */
  samples: number;
  /** Symmetric skeleton: skeleton[a][b] = 1 when a and b stay adjacent. */
  skeleton: number[][];
  /** The reference's `build_graph_pc` result: linkMatrix[u][v] = 1 for each skeleton edge with u < v (the orientation is dropped). */
  linkMatrix: number[][];
  /** arrowheads[a][b] = 1 when the edge a–b carries an arrowhead at b (a → b; both ways: a ↔ b). */
  arrowheads: number[][];
  /** Symmetric: marked[a][b] = 1 when the edge a–b is marked by rule 1 (IC*'s genuine causation). */
  marked: number[][];
  /** Separating set of each removed pair, keyed "a,b" with a < b; its members ascending. */
  sepsets: Record<string, number[]>;
  /** Number of skeleton edges. */
  edges: number;
  /** Number of CI tests run. */
  testsRun: number;
  /** Largest conditioning-set size at which a test ran (−1 when none ran). */
  depthReached: number;
  /** True when some edge still had more candidates than the last depth searched, i.e. the bound (`maxCondSize` or L − d − 3 ≥ 1) cut the search. */
  depthLimitHit: boolean;
  /** Pairs whose correlation was NaN (a constant series), treated as 0; "a,b" with a < b. */
  nanCorrelations: string[];
  /** The options used. */
  options: PcOptions;
}

/**
 * Fisher z test of a (partial) correlation.
 * @param r the (partial) correlation in [−1, 1].
 * @param samples L, the number of samples it was computed from.
 * @param condSize |Z|, the size of the conditioning set (0 for a plain correlation).
 * @returns z = atanh(r), statistic = √(L − |Z| − 3)·|z|, pValue = 2·(1 − Φ(statistic)) (two-sided);
 *   |r| = 1 gives statistic ∞ and pValue 0. An EadroError (field `samples`) when L − |Z| − 3 < 1.
 */
export function fisherZTest(r: number, samples: number, condSize: number): { z: number; statistic: number; pValue: number } {
  const dof = samples - condSize - 3;
  if (!(dof >= 1)) throw new EadroError('fisherZTest: too few samples for the conditioning set.', { field: 'samples', expected: `samples - condSize - 3 >= 1 (condSize ${condSize})`, found: String(samples) });
  if (!(Math.abs(r) <= 1)) throw new EadroError('fisherZTest: bad correlation.', { field: 'r', expected: 'a number in [-1, 1]', found: String(r) });
  const z = Math.atanh(r);
  const statistic = Math.sqrt(dof) * Math.abs(z);
  const pValue = Number.isFinite(statistic) ? 2 * jStat.normal.cdf(-statistic, 0, 1) : 0;
  return { z, statistic, pValue: Math.min(1, pValue) };
}

/**
 * Correlation matrix of the rows of `data` (`np.corrcoef` semantics, correlation.ts), NaN (a constant
 * row) replaced by 0 off the diagonal; the diagonal is 1.
 * @param data [N][L] rows of one length.
 * @returns R as N·N row-major, and the pairs "a,b" (a < b) whose correlation was NaN.
 */
export function correlationMatrix(data: ArrayLike<number>[]): { R: Float64Array; nanPairs: string[] } {
  const N = data.length;
  const R = new Float64Array(N * N);
  const nanPairs: string[] = [];
  for (let a = 0; a < N; a++) {
    R[a * N + a] = 1;
    for (let b = a + 1; b < N; b++) {
      let r = pearson(data[a] as ArrayLike<number>, data[b] as ArrayLike<number>);
      if (Number.isNaN(r)) {
        nanPairs.push(`${a},${b}`);
        r = 0;
      }
      R[a * N + b] = r;
      R[b * N + a] = r;
    }
  }
  return { R, nanPairs };
}

/** Residual variances below this mean "x is a linear function of Z" (module comment). */
const DEGENERATE_VARIANCE = 1e-12;

/**
 * Partial correlation r_xy·Z from a correlation matrix (module comment's formula; R_ZZ⁻¹ by ml-matrix).
 * @param R N·N row-major correlation matrix (symmetric, unit diagonal).
 * @param N its size.
 * @param x, y variable indices.
 * @param z conditioning indices (distinct from x and y); empty gives R[x][y].
 * @returns r_xy·Z in [−1, 1]; 0 when x or y is (numerically) a linear function of Z.
 */
export function partialCorrelation(R: ArrayLike<number>, N: number, x: number, y: number, z: readonly number[]): number {
  const rxy = R[x * N + y] as number;
  const d = z.length;
  if (d === 0) return rxy;
  const rzz = new Matrix(d, d);
  const rhs = new Matrix(d, 2);
  for (let a = 0; a < d; a++) {
    const za = z[a] as number;
    for (let b = 0; b < d; b++) rzz.set(a, b, R[za * N + (z[b] as number)] as number);
    rhs.set(a, 0, R[za * N + x] as number);
    rhs.set(a, 1, R[za * N + y] as number);
  }
  const chol = new CholeskyDecomposition(rzz);
  const sol = chol.isPositiveDefinite() ? chol.solve(rhs) : pseudoInverse(rzz).mmul(rhs);
  // sol[:, 0] = R_ZZ⁻¹ r_Zx, sol[:, 1] = R_ZZ⁻¹ r_Zy.
  let vx = 1;
  let vy = 1;
  let cxy = rxy;
  for (let a = 0; a < d; a++) {
    const rzx = rhs.get(a, 0);
    const rzy = rhs.get(a, 1);
    vx -= rzx * sol.get(a, 0);
    vy -= rzy * sol.get(a, 1);
    cxy -= rzx * sol.get(a, 1);
  }
  if (!(vx > DEGENERATE_VARIANCE) || !(vy > DEGENERATE_VARIANCE)) return 0;
  const r = cxy / Math.sqrt(vx * vy);
  return Math.min(1, Math.max(-1, r));
}

function checkPcOptions(o: PcOptions): void {
  const bad = (field: string, expected: string, found: unknown): EadroError => new EadroError('PC: bad option.', { field, expected, found: String(found) });
  if (!(typeof o.alpha === 'number' && o.alpha > 0 && o.alpha < 1)) throw bad('alpha', 'a number in (0, 1)', o.alpha);
  if (!(o.maxCondSize === Number.POSITIVE_INFINITY || (Number.isInteger(o.maxCondSize) && o.maxCondSize >= 0))) throw bad('maxCondSize', 'an integer >= 0, or Infinity (the reference: unbounded)', o.maxCondSize);
  if (typeof o.halfAlpha !== 'boolean') throw bad('halfAlpha', 'a boolean', o.halfAlpha);
}

function checkData(data: ArrayLike<number>[]): { N: number; L: number } {
  const bad = (field: string, expected: string, found: unknown): EadroError => new EadroError('PC: bad data.', { field, expected, found: preview(found) });
  if (!Array.isArray(data) || data.length < 2) throw bad('data', 'an array of N >= 2 series', Array.isArray(data) ? `${data.length} series` : typeof data);
  const N = data.length;
  const L = data[0]?.length ?? 0;
  for (let i = 0; i < N; i++) {
    const s = data[i];
    if (s === undefined || s === null || typeof s.length !== 'number') throw bad(`data[${i}]`, 'an array of numbers', s);
    if (s.length !== L) throw bad(`data[${i}]`, `length ${L} (the length of data[0])`, `length ${s.length}`);
    if (L < 4) throw bad(`data[${i}]`, 'at least 4 samples (Fisher z needs L − 3 >= 1)', `length ${L}`);
    for (let t = 0; t < L; t++) {
      const v = s[t];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`data[${i}][${t}]`, 'a finite number', v);
    }
  }
  return { N, L };
}

/** Calls `visit` with each k-subset of `items` (ascending), in lexicographic order, until it returns true. */
function forEachSubset(items: readonly number[], k: number, visit: (subset: number[]) => boolean): void {
  const n = items.length;
  if (k > n) return;
  const idx = Array.from({ length: k }, (_, i) => i);
  const subset = new Array<number>(k);
  for (;;) {
    for (let i = 0; i < k; i++) subset[i] = items[idx[i] as number] as number;
    if (visit(subset)) return;
    let i = k - 1;
    while (i >= 0 && (idx[i] as number) === n - k + i) i--;
    if (i < 0) return;
    idx[i] = (idx[i] as number) + 1;
    for (let j = i + 1; j < k; j++) idx[j] = (idx[j - 1] as number) + 1;
  }
}

const zeros = (N: number): number[][] => Array.from({ length: N }, () => new Array<number>(N).fill(0));

/**
 * PC / IC* graph of the rows of `data` (module comment): skeleton by Fisher-z CI tests with growing
 * conditioning sets, then collider orientation and IC*'s rules 1 and 2.
 * @param data [N][L] data matrix: N ≥ 2 variables (e.g. per-service latency series), L ≥ 4 samples each.
 * @param options overrides of `pcDefaults`.
 * @returns the skeleton, the reference's link matrix, the orientation and the search's diagnostics (`PcResult`).
 */
export function pcGraph(data: ArrayLike<number>[], options: Partial<PcOptions> = {}): PcResult {
  const o: PcOptions = { ...pcDefaults, ...options };
  checkPcOptions(o);
  const { N, L } = checkData(data);
  const level = o.halfAlpha ? o.alpha / 2 : o.alpha;
  const { R, nanPairs } = correlationMatrix(data);

  const adj = zeros(N);
  for (let a = 0; a < N; a++) for (let b = 0; b < N; b++) if (a !== b) (adj[a] as number[])[b] = 1;
  const sepsets: Record<string, number[]> = {};
  const maxDepth = Math.min(o.maxCondSize, L - 4);
  let testsRun = 0;
  let depthReached = -1;
  let depthLimitHit = false;
  const candidatesOf = (x: number, y: number): number[] => {
    const out: number[] = [];
    const ax = adj[x] as number[];
    const ay = adj[y] as number[];
    for (let k = 0; k < N; k++) if (k !== x && k !== y && (ax[k] === 1 || ay[k] === 1)) out.push(k);
    return out;
  };
  for (let d = 0; ; d++) {
    const edges: [number, number][] = [];
    for (let x = 0; x < N; x++) for (let y = x + 1; y < N; y++) if ((adj[x] as number[])[y] === 1) edges.push([x, y]);
    const testable = edges.some(([x, y]) => candidatesOf(x, y).length >= d);
    if (!testable) break;
    if (d > maxDepth) {
      depthLimitHit = true;
      break;
    }
    for (const [x, y] of edges) {
      const cands = candidatesOf(x, y);
      if (cands.length < d) continue;
      depthReached = d;
      forEachSubset(cands, d, (z) => {
        testsRun++;
        const { pValue } = fisherZTest(partialCorrelation(R, N, x, y, z), L, d);
        if (pValue >= level) {
          (adj[x] as number[])[y] = 0;
          (adj[y] as number[])[x] = 0;
          sepsets[`${x},${y}`] = [...z];
          return true;
        }
        return false;
      });
    }
  }

  // Orientation. heads[a][b] = 1: arrowhead at b on the edge a–b.
  const heads = zeros(N);
  const marked = zeros(N);
  const neighbours = (c: number): number[] => {
    const out: number[] = [];
    for (let k = 0; k < N; k++) if ((adj[c] as number[])[k] === 1) out.push(k);
    return out;
  };
  const adjacent = (a: number, b: number): boolean => (adj[a] as number[])[b] === 1;
  const head = (a: number, b: number): boolean => (heads[a] as number[])[b] === 1;
  const isMarked = (a: number, b: number): boolean => (marked[a] as number[])[b] === 1;
  const setHead = (a: number, b: number): void => {
    (heads[a] as number[])[b] = 1;
  };
  const mark = (a: number, b: number): void => {
    (marked[a] as number[])[b] = 1;
    (marked[b] as number[])[a] = 1;
  };
  // Every unshielded triple a – c – b (a, b neighbours of c, not adjacent), a < b in neighbour order.
  const unshieldedPairs = (c: number): [number, number][] => {
    const nb = neighbours(c);
    const out: [number, number][] = [];
    for (let i = 0; i < nb.length; i++) {
      for (let j = i + 1; j < nb.length; j++) {
        const a = nb[i] as number;
        const b = nb[j] as number;
        if (!adjacent(a, b)) out.push([a, b]);
      }
    }
    return out;
  };
  for (let c = 0; c < N; c++) {
    for (const [a, b] of unshieldedPairs(c)) {
      const sep = sepsets[`${Math.min(a, b)},${Math.max(a, b)}`] ?? [];
      if (!sep.includes(c)) {
        setHead(a, c);
        setHead(b, c);
      }
    }
  }
  // Rule 1 for one ordered pair: a → c, c–b without a head at c ⇒ marked c → b.
  const rule1 = (a: number, c: number, b: number): boolean => {
    if (head(a, c) && !head(b, c) && !(head(c, b) && isMarked(b, c))) {
      setHead(c, b);
      mark(b, c);
      return true;
    }
    return false;
  };
  // Is b reachable from a along marked arrows (edges p–q with a marked arrowhead at q)?
  const markedPath = (a: number, b: number): boolean => {
    const seen = new Uint8Array(N);
    seen[a] = 1;
    const stack = [a];
    while (stack.length > 0) {
      const p = stack.pop() as number;
      for (const q of neighbours(p)) {
        if (!(head(p, q) && isMarked(p, q))) continue;
        if (q === b) return true;
        if (seen[q] === 0) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    return false;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let c = 0; c < N; c++) {
      for (const [a, b] of unshieldedPairs(c)) {
        if (rule1(a, c, b)) changed = true;
        if (rule1(b, c, a)) changed = true;
      }
    }
    for (let a = 0; a < N; a++) {
      for (let b = a + 1; b < N; b++) {
        if (!adjacent(a, b)) continue;
        if (!head(a, b) && markedPath(a, b)) {
          setHead(a, b);
          changed = true;
        }
        if (!head(b, a) && markedPath(b, a)) {
          setHead(b, a);
          changed = true;
        }
      }
    }
  }

  const linkMatrix = zeros(N);
  let edges = 0;
  for (let a = 0; a < N; a++) {
    for (let b = a + 1; b < N; b++) {
      if (adjacent(a, b)) {
        (linkMatrix[a] as number[])[b] = 1;
        edges++;
      }
    }
  }
  return {
    n: N,
    samples: L,
    skeleton: adj,
    linkMatrix,
    arrowheads: heads,
    marked,
    sepsets,
    edges,
    testsRun,
    depthReached,
    depthLimitHit,
    nanCorrelations: nanPairs,
    options: { ...o },
  };
}
