/**
 * NetMedic (Kandula et al., SIGCOMM'09) as the reference `PanYicheng/dycause_rca:main_netmedic.py` and
 * `netmedic/compute_functions.py` implement it (`../shared/specs/baselines.md` §3.2 "NetMedic"):
 *
 * 1. Ranges: history = the series up to its last `currentPoints` points (reference `(0, −100)`), current =
 *    the last `currentPoints` points (reference `(−100, None)`). Ours: our series may be short (≥ 3
 *    points), so `currentPoints` is clipped to [1, L − 2]: the history keeps at least 2 points.
 * 2. Abnormality a_i = 1 − 2·sf(|v̄ − μ|/(√2·σ)): μ, σ the mean and population std (np.std, ddof 0) of
 *    the history, v̄ the mean of the current range, sf the standard normal survival function (jstat's
 *    normal cdf, sf(x) = cdf(−x)). σ = 0 (a constant history): numpy divides by zero; ours: a = 1 when
 *    v̄ ≠ μ (the reference's limit, |x|/0 = ∞, sf(∞) = 0) and a = 0 when v̄ = μ (numpy gives NaN there;
 *    "no deviation from a constant history" is no abnormality).
 * 3. Edge weight s→d: K = max(1, min(50, ⌊L_h/binSize⌋)) history bins of ⌊L_h/K⌋ points, bin k the mean
 *    of the k-th chunk counted from the END of the history (`divide_mean`). For k < K:
 *    w_k = 1 − |src_k − cur_s|/range_s when that difference is ≤ δ = 0.33, else 0, where src_k is
 *    - `referenceSourceSample: true` (default, as the reference): the raw history SAMPLE k of the source
 *      (counted from the start: `hist_data[source, k]`), a quirk of compute_edgeweight;
 *    - false: the source's bin mean k, as NetMedic's paper means (same bins as the destination's).
 *    weight = Σ_k w_k·(1 − |hbin_d[k] − cur_d|/range_d) / Σ_k w_k, or 0.8 when Σ_k w_k = 0.
 *    range_x = max − min of the WHOLE series x (history and current: `np.max(data, axis=1)` in the
 *    reference, not of the history only), so every difference is ≤ 1 and every weight is in [0, 1].
 *    range_x = 0 (a constant series): numpy gives 0/0 = NaN; ours: the difference is 0 (a constant
 *    series is where it always was), so w_k = 1 and the destination factor is 1.
 * 4. Impact c→e = max over simple paths c → … → e of the geometric mean of the edge weights on the path
 *    (scipy gmean; a 0 weight gives 0); 1 when c = e; 0.01 when no path is found.
 *    Edges. The reference's `dep_graph` for its pymicro data is `true_access.xlsx`, the call graph
 *    TRANSPOSED (see tbac.ts): dep_graph[s][d] > 0 when d calls s. So NetMedic's edges run callee →
 *    caller, "a fault in the callee affects its caller", and here the edge s→d exists when
 *    access[d][s] > 0. A root cause deep in the call tree has a path up to the frontend.
 *    Path enumeration bound (ours): paths of at most `maxPathLength` edges (default 8); the reference
 *    enumerates all simple paths, exponential in general; a 27-service call graph has no longer chains
 *    in practice (Train-Ticket's depth is well under 8). `info.pathLimitHit` says whether a path was cut.
 *    `referencePathEnumeration` (default false): the reference's `enum_path` records a path ending at e
 *    only when e has no outgoing edge or an edge back into the path (so impact(c, e) to an intermediate
 *    node with further, unvisited callers is 0.01); true reproduces that, false counts every simple path
 *    ending at e (the spec's "max over simple paths").
 * 5. Global impact G_c = Σ_e impact(c, e)·a_e.
 * 6. Score_c = impact(c, affected)·G_c, ranked descending (the reference sorts 1/score ascending: the
 *    same order; a zero score, 1/0 = ∞ there, ranks last here too). `affected` is the frontend: the
 *    service the operator sees misbehave (the reference's `affected_node`, its entry service 14 on
 *    real_micro_service). Ties by the lower index (the reference's stable sort of services in order).
 */
// tslab type-checks notebook imports without our tsconfig's include list, so the typing is referenced here.
/// <reference path="../../types/jstat.d.ts" />
import jstatPkg from 'jstat';
import { EadroError } from '../../core/errors.js';
import { rankDescending, validateLocalizerInput, type LocalizerInput, type LocalizerResult } from './types.js';

const { jStat } = jstatPkg;

export const netmedicDefaults = {
  /** main_netmedic.py `test_netmedic`: current_range = (−100, None), history_range = (0, −100). Clipped to [1, L − 2] (ours). */
  currentPoints: 100,
  /** main_netmedic.py `test_netmedic`: bin_size = 100. */
  binSize: 100,
  /** compute_functions.py `compute_edgeweight`: K = max(min(50, ⌊len/bin_size⌋), 1). */
  maxBins: 50,
  /** compute_functions.py `compute_edgeweight`: delta = 0.33. */
  delta: 0.33,
  /** compute_functions.py `compute_edgeweight`: edge weight 0.8 when Σ w_k = 0. */
  defaultEdgeWeight: 0.8,
  /** compute_functions.py `compute_max_path_weight`: 0.01 when no path. */
  noPathImpact: 0.01,
  /** compute_functions.py `compute_edgeweight`: `hist_data[source, k]`, the raw sample (baselines.md §3.2 "Quirk"); false = the bin mean. */
  referenceSourceSample: true as boolean,
  /** ours (module comment): false = every simple path counts; true = compute_functions.py `enum_path`'s recording rule. */
  referencePathEnumeration: false as boolean,
  /** ours (module comment): longest path, in edges, the DFS enumerates (the reference: unbounded). */
  maxPathLength: 8,
};

export type NetmedicOptions = typeof netmedicDefaults;

function mean(x: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let t = from; t < to; t++) s += x[t] as number;
  return s / (to - from);
}

/** Standard normal survival function sf(x) = 1 − Φ(x), computed as Φ(−x) (jstat) for precision in the tail. */
export function normalSf(x: number): number {
  return jStat.normal.cdf(-x, 0, 1);
}

/**
 * NetMedic abnormality of one series: 1 − 2·sf(|v̄ − μ|/(√2·σ)) with μ, σ (population std) over
 * [0, historyEnd) and v̄ the mean over [historyEnd, L). σ = 0: 1 if v̄ ≠ μ, else 0 (module comment).
 */
export function netmedicAbnormality(x: ArrayLike<number>, historyEnd: number): number {
  const mu = mean(x, 0, historyEnd);
  let ss = 0;
  for (let t = 0; t < historyEnd; t++) ss += ((x[t] as number) - mu) ** 2;
  const sigma = Math.sqrt(ss / historyEnd);
  const v = mean(x, historyEnd, x.length);
  if (sigma === 0) return v === mu ? 0 : 1;
  return 1 - 2 * normalSf(Math.abs(v - mu) / (Math.SQRT2 * sigma));
}

/** Per-series quantities the edge weights need. */
interface EdgeState {
  /** [K] history bin means, bin 0 the last ⌊L_h/K⌋ history points. */
  bins: Float64Array;
  current: number;
  range: number;
}

function edgeState(x: ArrayLike<number>, historyEnd: number, K: number): EdgeState {
  const step = Math.floor(historyEnd / K);
  const bins = new Float64Array(K);
  for (let k = 0; k < K; k++) bins[k] = mean(x, historyEnd - step * (k + 1), historyEnd - step * k);
  let mx = -Infinity;
  let mn = Infinity;
  for (let t = 0; t < x.length; t++) {
    mx = Math.max(mx, x[t] as number);
    mn = Math.min(mn, x[t] as number);
  }
  return { bins, current: mean(x, historyEnd, x.length), range: mx - mn };
}

/** |v − now|/range, 0 for a constant series (module comment). */
const diff = (v: number, now: number, range: number): number => (range === 0 ? 0 : Math.abs(v - now) / range);

/**
 * NetMedic edge weight s→d (module comment, step 3) of source series `xs` and destination `xd`.
 * @param historyEnd history = [0, historyEnd), current = [historyEnd, L).
 */
export function netmedicEdgeWeight(xs: ArrayLike<number>, xd: ArrayLike<number>, historyEnd: number, options: Partial<NetmedicOptions> = {}): number {
  const o: NetmedicOptions = { ...netmedicDefaults, ...options };
  const K = binCount(historyEnd, o);
  return edgeWeightOf(xs, edgeState(xs, historyEnd, K), edgeState(xd, historyEnd, K), K, o);
}

function binCount(historyEnd: number, o: NetmedicOptions): number {
  return Math.max(1, Math.min(o.maxBins, Math.floor(historyEnd / o.binSize)));
}

function edgeWeightOf(xs: ArrayLike<number>, s: EdgeState, d: EdgeState, K: number, o: NetmedicOptions): number {
  let num = 0;
  let wSum = 0;
  for (let k = 0; k < K; k++) {
    const srcK = o.referenceSourceSample ? (xs[k] as number) : (s.bins[k] as number);
    const sd = diff(srcK, s.current, s.range);
    const w = sd <= o.delta ? 1 - sd : 0;
    wSum += w;
    num += w * (1 - diff(d.bins[k] as number, d.current, d.range));
  }
  return wSum <= 0 ? o.defaultEdgeWeight : num / wSum;
}

function checkOptions(o: NetmedicOptions): void {
  const bad = (field: string, expected: string, found: unknown): EadroError => new EadroError('NetMedic: bad option.', { field, expected, found: String(found) });
  for (const f of ['currentPoints', 'binSize', 'maxBins', 'maxPathLength'] as const) {
    if (!(Number.isInteger(o[f]) && o[f] >= 1)) throw bad(f, 'an integer >= 1', o[f]);
  }
  for (const f of ['delta', 'defaultEdgeWeight', 'noPathImpact'] as const) {
    if (!(Number.isFinite(o[f]) && o[f] >= 0)) throw bad(f, 'a finite number >= 0', o[f]);
  }
  for (const f of ['referenceSourceSample', 'referencePathEnumeration'] as const) {
    if (typeof o[f] !== 'boolean') throw bad(f, 'true | false', o[f]);
  }
}

/**
 * NetMedic root-cause ranking of one input (module comment; baselines.md §3.2).
 * @param input per-service series [N][L] (any unit), access matrix [N][N] (i calls j when
 *   access[i][j] > 0), frontend index (the affected service).
 * @param options overrides of `netmedicDefaults`.
 * @returns ranking: [N] by impact(c, frontend)·G_c descending, ties by lower index; scores: [N] those
 *   products (≥ 0); info: `abnormality` [N], `edgeWeight` [N][N] (0 where no edge; edge s→d when d calls
 *   s), `impactToAffected` [N], `globalImpact` [N], `historyPoints`, `currentPoints`, `bins`,
 *   `affected`, `pathLimitHit`, and the options used.
 */
export function netmedicRank(input: LocalizerInput, options: Partial<NetmedicOptions> = {}): LocalizerResult {
  const { N, L } = validateLocalizerInput(input, 'NetMedic');
  const o: NetmedicOptions = { ...netmedicDefaults, ...options };
  checkOptions(o);
  const currentPoints = Math.min(o.currentPoints, L - 2);
  const historyEnd = L - currentPoints;
  const K = binCount(historyEnd, o);
  const { series, access, frontend } = input;

  const a = Float64Array.from(series, (x) => netmedicAbnormality(x, historyEnd));
  const states = series.map((x) => edgeState(x, historyEnd, K));
  // Impact edges s -> d: d calls s (callee -> caller; module comment, step 4).
  const out: number[][] = Array.from({ length: N }, () => []);
  const weight = Array.from({ length: N }, () => new Float64Array(N));
  for (let s = 0; s < N; s++) {
    for (let d = 0; d < N; d++) {
      if ((access[d] as ArrayLike<number>)[s]! > 0) {
        out[s]!.push(d);
        weight[s]![d] = edgeWeightOf(series[s] as ArrayLike<number>, states[s] as EdgeState, states[d] as EdgeState, K, o);
      }
    }
  }

  // impact[c][e]: best geometric mean over the simple paths found by a DFS from c (sum of logs / length).
  const impact = Array.from({ length: N }, () => new Float64Array(N).fill(-1));
  let pathLimitHit = false;
  const onPath = new Uint8Array(N);
  for (let c = 0; c < N; c++) {
    const best = impact[c] as Float64Array;
    const visit = (u: number, logSum: number, len: number): void => {
      if (len > 0) {
        let record = true;
        if (o.referencePathEnumeration) {
          // enum_path: a path ending at u is kept only when u has no outgoing edge or an edge back into the path.
          const outs = out[u] as number[];
          record = outs.length === 0 || outs.some((v) => onPath[v] === 1);
        }
        if (record) {
          const g = Math.exp(logSum / len);
          if (g > (best[u] as number)) best[u] = g;
        }
      }
      if (len >= o.maxPathLength) {
        if ((out[u] as number[]).some((v) => onPath[v] === 0)) pathLimitHit = true;
        return;
      }
      for (const v of out[u] as number[]) {
        if (onPath[v] === 1) continue;
        onPath[v] = 1;
        visit(v, logSum + Math.log((weight[u] as Float64Array)[v] as number), len + 1);
        onPath[v] = 0;
      }
    };
    onPath[c] = 1;
    visit(c, 0, 0);
    onPath[c] = 0;
    for (let e = 0; e < N; e++) {
      if (e === c) best[e] = 1;
      else if ((best[e] as number) < 0) best[e] = o.noPathImpact;
    }
  }

  const globalImpact = new Float64Array(N);
  const scores = new Float64Array(N);
  for (let c = 0; c < N; c++) {
    let g = 0;
    for (let e = 0; e < N; e++) g += (impact[c] as Float64Array)[e]! * (a[e] as number);
    globalImpact[c] = g;
    scores[c] = (impact[c] as Float64Array)[frontend]! * g;
  }
  return {
    ranking: rankDescending(scores),
    scores,
    info: {
      method: 'netmedic',
      abnormality: Array.from(a),
      edgeWeight: weight.map((r) => Array.from(r)),
      impactToAffected: impact.map((r) => r[frontend] as number),
      globalImpact: Array.from(globalImpact),
      historyPoints: historyEnd,
      currentPoints,
      bins: K,
      affected: frontend,
      pathLimitHit,
      options: { ...o },
    },
  };
}
