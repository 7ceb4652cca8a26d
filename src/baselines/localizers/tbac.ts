/**
 * TBAC, the "timing behavior anomaly correlation" of Marwede et al. (CSMR'09), as the reference
 * `PanYicheng/dycause_rca:main_tbac.py` implements it (`../shared/specs/baselines.md` §3.2 "TBAC"):
 *
 * 1. Anomaly score per service: a_i = 2·corr(x_i, x_frontend) − 1 (corr: `np.corrcoef`, correlation.ts;
 *    a NaN correlation counts as 0, so a = −1). The spec writes a ∈ [−1, 1]; that holds for corr ≥ 0,
 *    a negative correlation gives a down to −3 (the reference does not clip, neither do we).
 * 2. For each service n: its callers (services that call n, directly or through others) and its callees
 *    (services n calls, directly or through others), each found by a traversal of the call graph up to
 *    `maxDepth` = 20, a caller at depth d weighing 1/d.
 *    - S_in = the weighted power mean (p = 1: the weighted arithmetic mean) of the callers' a.
 *    - S_out = the max of the callees' a.
 *    - If S_in > a_n and S_out ≤ a_n ("its callers look anomalous, its callees do not"): rating (a_n + 1)/2.
 *    - If S_in ≤ a_n and S_out > a_n: rating (a_n − 1)/2.
 *    - A missing S_in or S_out (no caller / no callee) satisfies either comparison.
 * 3. Rank by rating, descending; ties by the lower service index (the reference's stable sort of
 *    services in index order).
 *
 * Where the spec is silent, the reference decides (`correlation_algorithm` in main_tbac.py):
 * - No rule fired: the rating is a_n itself (`rating = scores.copy()`), not 0. For a ∈ [−1, 1],
 *   (a−1)/2 ≤ a ≤ (a+1)/2, so an unrated node ranks below a raised node of equal a and above a
 *   lowered one: "no evidence either way" sits between the two verdicts, which is defensible too.
 * - Both rules fire only for a node with neither callers nor callees (both comparisons satisfied by
 *   "missing"): the reference applies the second rule last, so the rating is (a_n − 1)/2.
 *
 * Orientation. Our `access[i][j] > 0` means "i calls j" (types.ts). The reference's TBAC matrix is the
 * transpose: its pymicro `data/pymicro/true_access.xlsx` equals `true_callgraph.xlsx` transposed
 * (checked cell by cell; the call graph has the frontend, service 16, calling 13, 14, 15), so its
 * `get_callers` walking `access[node][j] > 0` (the spec's wording) walks to the services that call the
 * node. Here callers of n are found through `access[j][n] > 0` and callees through `access[n][j] > 0`:
 * the same sets as the reference's.
 *
 * Consequence, kept as published: the frontend has a = 2·1 − 1 = 1 (its self-correlation), no callers
 * (it is a root of the call graph) and callees with a ≤ 1, so the first rule always rates it
 * (1 + 1)/2 = 1, the largest rating any service can get. TBAC as published therefore ranks the frontend
 * first whenever its series is not constant (and it has a callee); the root cause can at best come
 * second unless it is the frontend. `info.frontendRating` reports it; excluding the frontend is the
 * harness's choice, not this function's.
 *
 * Traversal depth (`referenceTraversal`): the reference's `get_callers` / `get_callees` pop the LAST
 * element of the queue (`queue.pop()`, a stack) and add 1 to the depth once per pop, stopping after
 * `search_depth` = 20 pops. The "depth" is then the pop count, not the distance: with two direct
 * callers b and c of n, and a caller d of b (b < c), the reference pops c second and b third, so d gets
 * depth 3 (weight 1/3) where its distance is 2. Default (ours): the true breadth-first depth (shortest
 * number of calls between the node and the caller), up to `maxDepth` levels, which is what Marwede's
 * 1/depth weighting means; `referenceTraversal: true` reproduces main_tbac.py's pop-count depth and its
 * 20-pop limit. Both visit neighbours in ascending index order and keep a service's first-found depth.
 */
import { EadroError } from '../../core/errors.js';
import { frontendCorrelations } from './correlation.js';
import { rankDescending, validateLocalizerInput, type LocalizerInput, type LocalizerResult } from './types.js';

export const tbacDefaults = {
  /** main_tbac.py `correlation_algorithm`: get_callers / get_callees(search_depth=20) (baselines.md §3.2 "up to depth 20"). */
  maxDepth: 20,
  /** main_tbac.py `correlation_algorithm`: weighted_powermean(scores, 1, weights) (baselines.md §3.2 "p = 1"). */
  powerMeanP: 1,
  /**
   * ours (module comment): false = true breadth-first depth (distance in calls); true = main_tbac.py's
   * `queue.pop()` traversal, depth = pop count, at most `maxDepth` pops (baselines.md §3.2 "Quirk").
   */
  referenceTraversal: false as boolean,
};

export type TbacOptions = typeof tbacDefaults;

/** Which way to walk the call graph from a service. */
export type CallDirection = 'callers' | 'callees';

/** A service reached from another, with the depth that gives its weight 1/depth. */
export interface ReachedService {
  node: number;
  /** 1 for a direct neighbour; see `traverseCallGraph` for the meaning of larger values. */
  depth: number;
}

/**
 * The callers (services that call `node`, directly or transitively) or the callees of `node`, each once,
 * with its depth, in the order found (neighbours in ascending index order). `node` itself is never in
 * the result, even on a cycle.
 * - reference = false: breadth-first; depth = the least number of calls between them; up to `maxDepth`.
 * - reference = true: main_tbac.py's traversal (module comment): a stack, depth = number of pops so far,
 *   at most `maxDepth` pops.
 * @param access [N][N] access matrix, access[i][j] > 0 when i calls j.
 */
export function traverseCallGraph(access: ArrayLike<number>[], node: number, direction: CallDirection, maxDepth: number, reference: boolean): ReachedService[] {
  const N = access.length;
  // Callers of f are the j with access[j][f] > 0; callees are the j with access[f][j] > 0.
  const edge = direction === 'callers' ? (f: number, j: number): boolean => (access[j] as ArrayLike<number>)[f]! > 0 : (f: number, j: number): boolean => (access[f] as ArrayLike<number>)[j]! > 0;
  const visited = new Uint8Array(N);
  visited[node] = 1;
  const out: ReachedService[] = [];
  if (reference) {
    const stack = [node];
    let depth = 1;
    let pops = maxDepth;
    while (stack.length > 0 && pops > 0) {
      const front = stack.pop() as number;
      for (let j = 0; j < N; j++) {
        if (visited[j] === 0 && edge(front, j)) {
          visited[j] = 1;
          stack.push(j);
          out.push({ node: j, depth });
        }
      }
      pops--;
      depth++;
    }
    return out;
  }
  let frontier = [node];
  for (let depth = 1; depth <= maxDepth && frontier.length > 0; depth++) {
    const next: number[] = [];
    for (const f of frontier) {
      for (let j = 0; j < N; j++) {
        if (visited[j] === 0 && edge(f, j)) {
          visited[j] = 1;
          next.push(j);
          out.push({ node: j, depth });
        }
      }
    }
    frontier = next;
  }
  return out;
}

/** Signed power used by main_tbac.py's `weighted_powermean`: sign(a)·|a|^p. */
function signedPow(a: number, p: number): number {
  return a >= 0 ? Math.pow(a, p) : -Math.pow(-a, p);
}

/**
 * Weighted power mean as main_tbac.py computes it: g⁻¹(Σ w_i·g(s_i) / Σ w_i) with g(a) = sign(a)·|a|^p,
 * so negative scores keep their sign. p = 1 is the weighted arithmetic mean.
 * @param scores [k] values; @param weights [k] weights > 0 (here 1/depth); k ≥ 1.
 */
export function weightedPowerMean(scores: readonly number[], weights: readonly number[], p: number): number {
  let s = 0;
  let wsum = 0;
  for (let i = 0; i < scores.length; i++) {
    s += (weights[i] as number) * signedPow(scores[i] as number, p);
    wsum += weights[i] as number;
  }
  return signedPow(s / wsum, 1 / p);
}

function checkOptions(o: TbacOptions): void {
  if (!(Number.isInteger(o.maxDepth) && o.maxDepth >= 1)) throw new EadroError('TBAC: bad option.', { field: 'maxDepth', expected: 'an integer >= 1', found: String(o.maxDepth) });
  if (!(Number.isFinite(o.powerMeanP) && o.powerMeanP !== 0)) throw new EadroError('TBAC: bad option.', { field: 'powerMeanP', expected: 'a finite non-zero exponent', found: String(o.powerMeanP) });
  if (typeof o.referenceTraversal !== 'boolean') throw new EadroError('TBAC: bad option.', { field: 'referenceTraversal', expected: 'true | false', found: String(o.referenceTraversal) });
}

/**
 * TBAC root-cause ranking of one input (module comment; baselines.md §3.2).
 * @param input per-service series [N][L] (any unit, e.g. ms per second), the access matrix [N][N]
 *   (i calls j when access[i][j] > 0) and the frontend index.
 * @param options overrides of `tbacDefaults`.
 * @returns ranking: [N] services by rating descending, ties by lower index; scores: [N] the ratings, in
 *   [−2, 1] (a ∈ [−3, 1]); info: `anomaly` [N] a_i, `sIn` / `sOut` [N] (null where missing), `rule` [N]
 *   ('raise' | 'lower' | 'none'), `nanCorrelations` (services whose correlation was NaN, counted as 0),
 *   `frontendRating`, and the options used.
 */
export function tbacRank(input: LocalizerInput, options: Partial<TbacOptions> = {}): LocalizerResult {
  const { N } = validateLocalizerInput(input, 'TBAC');
  const o: TbacOptions = { ...tbacDefaults, ...options };
  checkOptions(o);
  const { corr, nanServices } = frontendCorrelations(input.series, input.frontend);
  const a = Float64Array.from(corr, (r) => 2 * r - 1);
  const rating = Float64Array.from(a);
  const sIn: (number | null)[] = new Array<number | null>(N).fill(null);
  const sOut: (number | null)[] = new Array<number | null>(N).fill(null);
  const rule: ('raise' | 'lower' | 'none')[] = new Array<'raise' | 'lower' | 'none'>(N).fill('none');
  for (let n = 0; n < N; n++) {
    const callers = traverseCallGraph(input.access, n, 'callers', o.maxDepth, o.referenceTraversal);
    const callees = traverseCallGraph(input.access, n, 'callees', o.maxDepth, o.referenceTraversal);
    const inMean = callers.length > 0 ? weightedPowerMean(callers.map((c) => a[c.node] as number), callers.map((c) => 1 / c.depth), o.powerMeanP) : null;
    let outMax: number | null = null;
    for (const c of callees) outMax = outMax === null ? (a[c.node] as number) : Math.max(outMax, a[c.node] as number);
    sIn[n] = inMean;
    sOut[n] = outMax;
    const an = a[n] as number;
    // A missing S_in / S_out satisfies either comparison (main_tbac.py check_greater / check_lessequal).
    const inGreater = inMean === null || inMean > an;
    const inLessEq = inMean === null || inMean <= an;
    const outGreater = outMax === null || outMax > an;
    const outLessEq = outMax === null || outMax <= an;
    if (inGreater && outLessEq) {
      rating[n] = (an + 1) / 2;
      rule[n] = 'raise';
    }
    // Applied second, as in the reference: it wins when both fire (a node with no caller and no callee).
    if (inLessEq && outGreater) {
      rating[n] = (an - 1) / 2;
      rule[n] = 'lower';
    }
  }
  return {
    ranking: rankDescending(rating),
    scores: rating,
    info: {
      method: 'tbac',
      anomaly: Array.from(a),
      sIn,
      sOut,
      rule,
      nanCorrelations: nanServices,
      frontendRating: rating[input.frontend],
      options: { ...o },
    },
  };
}
