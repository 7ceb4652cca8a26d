/**
 * DyCause (Pan et al., ISSTA'21) as the reference `PanYicheng/dycause_rca` implements it
 * (`main_dycause.py` `test_dycause`, `dycause_lib/Granger_all_code.py` `loop_granger`,
 * `causal_graph_build.py`, `randwalk.py` `bfs`/`randwalk`, `ranknode.py`; `../shared/specs/baselines.md`
 * §3.2 "DyCause"): a causal graph learned from Granger tests over many time intervals, then a backward
 * search from the entry service for the paths that explain it.
 *
 * Input: per-service series (per-second values, e.g. latency in ms; any unit: every statistic used is
 * invariant to an affine map of a series), the entry (`input.frontend`, a 0-based index; the reference's
 * `frontend`/`entry_point` is 1-based). Steps:
 * 1. Local data [start − bef, start + aft]: the CALLER's job. Our harness already cuts every series to
 *    the analysed range [window end − 300 s, window end] (window-series.ts), and we run on the whole
 *    given series. (The reference also z-normalises its data on load: irrelevant here, see above.)
 * 2. Segment splits every `step` points (`get_segment_split`): 0, step, 2·step, …, (⌊L/step⌋ − 1)·step, L
 *    (the last segment takes the remainder). Segments = [split_i, split_j) for every i < j.
 * 3. For every ordered pair x → y and every segment: Granger ssr F-tests (granger.ts, lag `lag`) of
 *    x → y (p_f) and y → x (p_r). The interval is causal x → y when p_f < thres and (p_r ≥ thres or p_r
 *    is missing, −1) (`get_ordered_intervals`, which reads the arrays through abs(), so −1 counts as 1).
 *    ADF stationarity check (`adfCheck`, on by default as in loop_granger's only path): when the
 *    interval is causal and p_r > thres, adfuller(y segment, maxlag = lag) must give p ≤ thres and then
 *    adfuller(x segment) p ≤ thres, else both p-values are set to −1 and the interval is dropped.
 * 4. Dynamic causal curve: the count, at each second, of the causal intervals x → y covering it; edge
 *    weight w_xy = Σ_t count = Σ over causal intervals of their length (seconds).
 * 5. Adaptive threshold (`auto_threshold_ratio`): keep x → y when w_xy ≥ edgeThres · max_y' w_xy' (the
 *    max over the targets of the same SOURCE x, `bar_data` in test_dycause).
 * 6. Transition matrix T[x][y] = kept w_xy, each column divided by its sum (`normalize_by_column`;
 *    an all-zero column stays 0).
 * 7. Backward BFS from the entry along incoming edges (T[prev][last] > 0, prev not yet on the path)
 *    (`randwalk.bfs`, reach_end=True): a path is recorded when its last node has no incoming edge, or
 *    it has `maxPathLength` nodes; a path whose every predecessor is already on it is DROPPED (the
 *    reference's reach_end rule; `referenceCycleDrop: false` records it instead). The search stops when
 *    more than `maxPaths` (10 000) paths are recorded, or moves every queued partial path into the list
 *    and stops when more than `maxPaths` are queued (`info.pathLimitHit`).
 * 8. Path probability = the mean of its edge weights T[next][prev] (`mean_method`): arithmetic; or
 *    geometric / harmonic over the weights ≠ 1 (the reference drops exact 1s, "no information"). A path of
 *    the entry alone has probability 0.
 * 9. Paths sorted by probability, descending; the first `topkPath` are read in order, counting each of
 *    the last `numSelNode` nodes of the path once, stopping after the first path whose probability is
 *    below `probThres` (the reference counts that path, then breaks; `referenceProbBreak: false` stops
 *    before counting it). The entry's count is removed.
 * 10. Score = count/(numSelNode·topkPath) + |corr(node, entry)| (`ranknode`, np.corrcoef; a NaN
 *     correlation, from a constant series, counts as 0 as in correlation.ts), ranked descending.
 *
 * Call graph: the reference learns its graph from the Granger tests and never reads a given one, so
 * `input.access` is validated but ignored.
 *
 * Departures from the reference (ours):
 * - Services that no counted path reaches (the entry included) are absent from the reference's ranking;
 *   a harness needs all N, so they follow every path node, ordered by |corr| with the entry (the order
 *   of the reference's commented-out "append all other nodes according to correlation" code), with
 *   score |corr| − 2 ∈ [−2, −1] (below every path node's score, which is > 0). The entry's own |corr|
 *   is 1, so it heads that group.
 * - Every Granger test is computed exactly. The reference's `fast_version_3` prunes with upper and lower
 *   bounds of the two ssr values and records p = 1 ("promising not") or p = 0 ("promising") when the
 *   bounds decide the test: the same decision as the exact test while the bounds hold, and the decision
 *   is all DyCause reads. Two slips make its bounds too small in places, which we do not reproduce:
 *   the last extension counts only `step` new rows though the last segment has step + (L mod step), and
 *   an unpacking typo (`res2down_ssr_upper_XY, … = update_bound(…)` split over lines) leaves the y → x
 *   bounds stale after a skipped y → x test. The reference only runs y → x when x → y is significant;
 *   we run both (the same outcome, simpler).
 * - Degenerate Granger tests (constant or collinear lag columns, too few points, a restricted model
 *   that already fits exactly) are missing (−1, granger.ts: never significant); the reference's
 *   pseudo-inverse OLS reports p = 1, NaN or rounding noise there.
 * - An ADF test that cannot be computed (too short for maxlag: only lag 1 with step 5; or a singular
 *   design, e.g. a segment that is a straight line) keeps the interval and is counted in
 *   `info.adfUncomputable`; statsmodels 0.13.5 raises for the first, and the reference's try/except then
 *   drops EVERY interval of that ordered pair.
 * - Geometric/harmonic mean of a path whose weights are all exactly 1: scipy gets NaN from the empty
 *   list and Python's sort leaves NaN keys in arbitrary places; ours is 1 (a chain of sure steps).
 * - Ties: paths of equal probability keep the BFS discovery order (the reference's come from a Python
 *   set, in hash order); services of equal score rank by the lower index (rankDescending).
 * - Randomness: none. The reference seeds NumPy for its random-walk matrix (`use_new_matrix`), which
 *   test_dycause turns off; `seed` is accepted for the harness's uniform call and unused.
 */
import { EadroError } from '../../core/errors.js';
import { frontendCorrelations } from './correlation.js';
import { GRANGER_MISSING, GrangerSegmentTester, adfTest, type GrangerStatus } from './granger.js';
import { rankDescending, validateLocalizerInput, type LocalizerInput, type LocalizerResult } from './types.js';

export type DycauseMeanMethod = 'arithmetic' | 'geometric' | 'harmonic';

/**
 * Defaults: main_dycause.py's command line (argparse), which is also the reference's real_micro_service
 * test entry (test_all.py `test_dycause(... step=70, significant_thres=0.1, lag=5, auto_threshold_ratio=0.5,
 * mean_method="harmonic", topk_path=150, num_sel_node=3)`), except topkPath (see there).
 */
export const dycauseDefaults = {
  /** CLI `--step 70` = test_all.py; `test_dycause(step=50)`. Segment split step, points (seconds). */
  step: 70,
  /** CLI `--lag 5` = test_all.py = `test_dycause(lag=5)`. Granger lags; also ADF's maxlag. */
  lag: 5,
  /** CLI `--thres 0.1` = test_all.py; `test_dycause(significant_thres=0.05)`. Significance level of Granger and ADF. */
  thres: 0.1,
  /** CLI `--edge_thres 0.5` = test_all.py; `test_dycause(auto_threshold_ratio=0.8)`. Fraction of a source's largest edge weight. */
  edgeThres: 0.5,
  /** CLI `--mean harmonic` = test_all.py; `test_dycause(mean_method="arithmetic")`. */
  meanMethod: 'harmonic' as DycauseMeanMethod,
  /** test_all.py (real_micro_service) `topk_path=150`; CLI `--topk 50`; `test_dycause(topk_path=60)`. We take the test entry's. */
  topkPath: 150,
  /** CLI `--num_sel 3` = test_all.py; `test_dycause(num_sel_node=1)`. Nodes counted from the end of each path. */
  numSelNode: 3,
  /** test_dycause passes `prob_thres=0.2` to analyze_root (whose own default is 0.4). */
  probThres: 0.2,
  /** CLI `--max_path None` = test_dycause(max_path_length=None): no limit (null). Else the most nodes on a path. */
  maxPathLength: null as number | null,
  /** randwalk.bfs: stop above 10 000 recorded (or queued) paths. */
  maxPaths: 10_000,
  /** loop_granger: the ADF checks run on its only path (module comment, step 3); false skips them. */
  adfCheck: true as boolean,
  /** ranknode: the first path below probThres is counted before the loop breaks (reference); false: not counted. */
  referenceProbBreak: true as boolean,
  /** randwalk.bfs(reach_end=True): a path that cannot be extended (every predecessor on it) is dropped (reference); false: recorded. */
  referenceCycleDrop: true as boolean,
};

export type DycauseOptions = typeof dycauseDefaults;

const MEAN_METHODS: readonly DycauseMeanMethod[] = ['arithmetic', 'geometric', 'harmonic'];

function checkOptions(o: DycauseOptions & { seed?: number }): void {
  const bad = (field: string, expected: string, found: unknown): EadroError => new EadroError('DyCause: bad option.', { field, expected, found: String(found) });
  if (!(Number.isInteger(o.lag) && o.lag >= 1)) throw bad('lag', 'an integer >= 1', o.lag);
  if (!Number.isInteger(o.step)) throw bad('step', 'an integer', o.step);
  if (!(o.step > 3 * o.lag + 1)) {
    throw bad('step', `an integer > 3·lag + 1 = ${3 * o.lag + 1} (a Granger test with ${o.lag} lags needs more than ${3 * o.lag + 1} points; reference: "step > 3 * lag + 1")`, o.step);
  }
  if (!(Number.isFinite(o.thres) && o.thres > 0 && o.thres <= 1)) throw bad('thres', 'a number in (0, 1]', o.thres);
  if (!(Number.isFinite(o.edgeThres) && o.edgeThres >= 0 && o.edgeThres <= 1)) throw bad('edgeThres', 'a number in [0, 1]', o.edgeThres);
  if (!MEAN_METHODS.includes(o.meanMethod)) throw bad('meanMethod', `one of ${MEAN_METHODS.join(', ')}`, o.meanMethod);
  if (!(Number.isInteger(o.topkPath) && o.topkPath >= 1)) throw bad('topkPath', 'an integer >= 1', o.topkPath);
  if (!(Number.isInteger(o.numSelNode) && o.numSelNode >= 1)) throw bad('numSelNode', 'an integer >= 1', o.numSelNode);
  if (!(Number.isFinite(o.probThres) && o.probThres >= 0)) throw bad('probThres', 'a finite number >= 0', o.probThres);
  if (!(o.maxPathLength === null || (Number.isInteger(o.maxPathLength) && o.maxPathLength >= 1))) throw bad('maxPathLength', 'null (no limit) or an integer >= 1', o.maxPathLength);
  if (!(Number.isInteger(o.maxPaths) && o.maxPaths >= 1)) throw bad('maxPaths', 'an integer >= 1', o.maxPaths);
  for (const f of ['adfCheck', 'referenceProbBreak', 'referenceCycleDrop'] as const) {
    if (typeof o[f] !== 'boolean') throw bad(f, 'a boolean', o[f]);
  }
  if (o.seed !== undefined && !(Number.isInteger(o.seed) && o.seed >= 0)) throw bad('seed', 'a non-negative integer (unused: DyCause is deterministic)', o.seed);
}

/**
 * The reference's segment splits (`get_segment_split`): 0, step, …, (⌊n/step⌋ − 1)·step, then n.
 * @param n series length (points).
 * @param step split step (points), ≥ 1.
 * @returns the split points, increasing; segments are [splits[i], splits[j]) for i < j.
 */
export function dycauseSegmentSplit(n: number, step: number): number[] {
  const nStep = Math.floor(n / step);
  const splits = Array.from({ length: nStep }, (_, i) => step * i);
  splits.push(n > step * nStep ? n : step * nStep);
  return splits;
}

/**
 * A path's probability: the mean of its edge weights (module comment, step 8).
 * @param weights the path's edge weights T[next][prev], in (0, 1].
 * @returns 0 for no edge; arithmetic mean; geometric / harmonic mean of the weights ≠ 1 (1 when none).
 */
export function dycausePathProbability(weights: readonly number[], method: DycauseMeanMethod): number {
  if (weights.length === 0) return 0;
  if (method === 'arithmetic') return weights.reduce((s, w) => s + w, 0) / weights.length;
  const informative = weights.filter((w) => w !== 1);
  if (informative.length === 0) return 1; // ours: the reference gets NaN from an empty mean
  if (method === 'geometric') return Math.exp(informative.reduce((s, w) => s + Math.log(w), 0) / informative.length);
  return informative.length / informative.reduce((s, w) => s + 1 / w, 0);
}

/**
 * Backward BFS from the entry (module comment, step 7; `randwalk.bfs`).
 * @param T [N][N] column-normalised transition matrix, T[x][y] > 0 for an edge x → y.
 * @returns the recorded paths (entry first) in discovery order, and whether a size limit stopped the search.
 */
export function dycauseBacktrackPaths(T: ArrayLike<number>[], entry: number, maxPathLength: number | null, maxPaths: number, referenceCycleDrop = true): { paths: number[][]; limitHit: boolean } {
  const N = T.length;
  const hasIncoming = Array.from({ length: N }, (_, y) => T.some((row) => (row[y] as number) > 0));
  const paths: number[][] = [];
  let queue: number[][] = [[entry]];
  let head = 0;
  let limitHit = false;
  while (head < queue.length) {
    if (paths.length > maxPaths) {
      limitHit = true;
      break;
    }
    if (queue.length - head > maxPaths) {
      // The reference flushes its (partial) queued paths into the output and stops.
      while (head < queue.length) paths.push(queue[head++] as number[]);
      limitHit = true;
      break;
    }
    const path = queue[head++] as number[];
    if (head > 4096) {
      queue = queue.slice(head);
      head = 0;
    }
    const last = path[path.length - 1] as number;
    if (!hasIncoming[last]) paths.push(path);
    else if (maxPathLength !== null && path.length >= maxPathLength) paths.push(path);
    else {
      let extended = false;
      for (let prev = 0; prev < N; prev++) {
        if ((T[prev] as ArrayLike<number>)[last]! > 0 && !path.includes(prev)) {
          queue.push([...path, prev]);
          extended = true;
        }
      }
      if (!extended && !referenceCycleDrop) paths.push(path);
    }
  }
  return { paths, limitHit };
}

/**
 * DyCause root-cause ranking of one input (module comment; baselines.md §3.2).
 * @param input per-service series [N][L] (per-second values, any unit), the access matrix (validated,
 *   unused: DyCause learns its own graph) and the entry service `frontend`.
 * @param options overrides of `dycauseDefaults`; `seed` is accepted and unused (no randomness).
 * @returns ranking: [N] services, path nodes by score, then the others by |corr| with the entry; scores:
 *   [N] count/(numSelNode·topkPath) + |corr| for path nodes, |corr| − 2 for the others; info: the
 *   segment splits, test and interval counts, the kept edges [x, y, w_xy], path counts, node counts,
 *   |corr|, and the options used.
 */
export function dycauseRank(input: LocalizerInput, options: Partial<DycauseOptions> & { seed?: number } = {}): LocalizerResult {
  const { N, L } = validateLocalizerInput(input, 'DyCause');
  const o = { ...dycauseDefaults, ...options };
  checkOptions(o);
  const entry = input.frontend;
  const series = input.series.map((s) => Float64Array.from(s));

  // Steps 2-4: Granger tests over every segment, causal intervals, edge weights.
  // ours: a series shorter than `step` (a window near its run's start, where fewer than H seconds exist)
  // is one segment; the reference's split would leave no segment to test. Recorded in info.shortSeries.
  const shortSeries = L < o.step;
  const splits = shortSeries ? [0, L] : dycauseSegmentSplit(L, o.step);
  const segments: [number, number][] = [];
  for (let i = 0; i < splits.length; i++) for (let j = i + 1; j < splits.length; j++) segments.push([splits[i] as number, splits[j] as number]);
  const tester = new GrangerSegmentTester(series, o.lag);
  const weight = Array.from({ length: N }, () => new Float64Array(N));
  const adfCache = new Map<number, number>();
  const adfP = (s: number, g: number): number => {
    const key = s * segments.length + g;
    let p = adfCache.get(key);
    if (p === undefined) {
      const [a, b] = segments[g] as [number, number];
      p = adfTest((series[s] as Float64Array).subarray(a, b), o.lag).pValue;
      adfCache.set(key, p);
    }
    return p;
  };
  const missingByStatus: Partial<Record<GrangerStatus, number>> = {};
  let grangerTests = 0;
  let causalIntervals = 0;
  let adfRejected = 0;
  let adfUncomputable = 0;
  const consider = (x: number, y: number, g: number, pF: number, pR: number): void => {
    const causal = pF !== GRANGER_MISSING && pF < o.thres && (pR >= o.thres || pR === GRANGER_MISSING);
    if (!causal) return;
    causalIntervals++;
    if (o.adfCheck && (pR > o.thres || pR === GRANGER_MISSING)) {
      const pY = adfP(y, g);
      const pX = pY < o.thres ? adfP(x, g) : -1;
      if (Number.isNaN(pY) || Number.isNaN(pX)) adfUncomputable++;
      if (pY > o.thres || pX > o.thres) {
        adfRejected++;
        return;
      }
    }
    const [a, b] = segments[g] as [number, number];
    (weight[x] as Float64Array)[y] = ((weight[x] as Float64Array)[y] as number) + (b - a);
  };
  for (let a = 0; a < N; a++) {
    for (let b = a + 1; b < N; b++) {
      for (let g = 0; g < segments.length; g++) {
        const [s, e] = segments[g] as [number, number];
        const ab = tester.test(b, a, s, e); // a → b
        const ba = tester.test(a, b, s, e); // b → a
        grangerTests += 2;
        for (const r of [ab, ba]) if (r.status !== 'ok') missingByStatus[r.status] = (missingByStatus[r.status] ?? 0) + 1;
        consider(a, b, g, ab.pValue, ba.pValue);
        consider(b, a, g, ba.pValue, ab.pValue);
      }
    }
  }

  // Steps 5-6: adaptive threshold per source, column normalisation.
  const T = Array.from({ length: N }, () => new Float64Array(N));
  const edges: [number, number, number][] = [];
  for (let x = 0; x < N; x++) {
    const row = weight[x] as Float64Array;
    let max = 0;
    for (let y = 0; y < N; y++) max = Math.max(max, row[y] as number);
    const thr = max * o.edgeThres;
    for (let y = 0; y < N; y++) {
      const w = row[y] as number;
      if (w > 0 && w >= thr) {
        (T[x] as Float64Array)[y] = w;
        edges.push([x, y, w]);
      }
    }
  }
  for (let y = 0; y < N; y++) {
    let sum = 0;
    for (let x = 0; x < N; x++) sum += (T[x] as Float64Array)[y] as number;
    if (sum > 0) for (let x = 0; x < N; x++) (T[x] as Float64Array)[y] = ((T[x] as Float64Array)[y] as number) / sum;
  }

  // Steps 7-8: backward paths from the entry, their probabilities, sorted (stable: BFS order on ties).
  const { paths, limitHit } = dycauseBacktrackPaths(T, entry, o.maxPathLength, o.maxPaths, o.referenceCycleDrop);
  const scored = paths.map((path) => {
    const w: number[] = [];
    for (let i = 1; i < path.length; i++) w.push((T[path[i] as number] as Float64Array)[path[i - 1] as number] as number);
    return { path, prob: dycausePathProbability(w, o.meanMethod) };
  });
  scored.sort((p, q) => q.prob - p.prob);

  // Steps 9-10: count the last nodes of the top paths, add |corr| with the entry.
  const counts = new Float64Array(N);
  let pathsCounted = 0;
  for (const { path, prob } of scored.slice(0, o.topkPath)) {
    if (!o.referenceProbBreak && prob < o.probThres) break;
    for (const node of path.slice(-o.numSelNode)) counts[node] = (counts[node] as number) + 1;
    pathsCounted++;
    if (prob < o.probThres) break;
  }
  counts[entry] = 0;
  const { corr, nanServices } = frontendCorrelations(input.series, entry);
  const absCorr = Float64Array.from(corr, (r) => Math.abs(r));
  const scores = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const c = counts[i] as number;
    scores[i] = c > 0 ? c / (o.numSelNode * o.topkPath) + (absCorr[i] as number) : (absCorr[i] as number) - 2;
  }
  return {
    ranking: rankDescending(scores),
    scores,
    info: {
      method: 'dycause',
      shortSeries,
      splits,
      segments: segments.length,
      grangerTests,
      grangerMissing: missingByStatus,
      causalIntervals,
      adfRejected,
      intervalsKept: causalIntervals - adfRejected,
      adfUncomputable,
      edgesKept: edges.length,
      edges,
      pathsFound: paths.length,
      pathLimitHit: limitHit,
      pathsCounted,
      topPathProbability: scored.length > 0 ? (scored[0] as { prob: number }).prob : null,
      pathNodes: Array.from(counts.keys()).filter((i) => (counts[i] as number) > 0),
      nodeCounts: Array.from(counts),
      correlation: Array.from(absCorr),
      nanCorrelations: nanServices,
      options: { ...o },
    },
  };
}
