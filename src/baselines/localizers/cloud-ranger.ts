/**
 * CloudRanger (Wang et al., CCGrid'18) as the reference `PanYicheng/dycause_rca:main_cloud_ranger.py`
 * implements it (`../shared/specs/baselines.md` §3.2 "CloudRanger"): a PC graph learned from the
 * per-service series, then a second-order random walk from the frontend, biased towards services whose
 * series look like the frontend's, counted by Monte Carlo. Like MonitorRank (monitor-rank.ts), but the
 * walk's transition depends on the previous node as well as the current one.
 *
 * 1. Graph (`test_cloud_ranger`): `graph: 'pc'` (default, the reference when no `dep_graph` is given)
 *    learns it with pc.ts from `input.series` (α = `pcAlpha`, Fisher z, conditioning sets up to
 *    `pcMaxCondSize`). The reference walks on `build_graph_pc`'s link matrix, the skeleton's upper
 *    triangle: "i → j" for every skeleton edge with i < j, the services' INDEX order (pc.ts, step 3).
 *    `pcLinks: 'reference-index-order'` (default) does the same. `'effect-to-cause'` (ours) uses PC's
 *    orientation instead, reversed to match the call-graph convention (an access matrix points caller →
 *    callee, i.e. from the service that sees a fault to the one that causes it): a PC edge a → b
 *    (a causes b) gives the walk edge b → a; an unoriented or bidirected edge gives both directions.
 *    `graph: 'given'` uses `input.access` (caller → callee), the reference's `kws['dep_graph']`.
 * 2. Similarity S_i = corr(x_i, x_frontend) (`np.corrcoef` on the same series, correlation.ts; NaN → 0,
 *    S_frontend = 1). SIGNED: the reference takes `rela[frontend − 1]` without abs.
 * 3. First-order weights (`relaToRank`): P[i, j] = |S_j| when access[i][j] > 0, rows normalised to sum 1
 *    (`guiyi`; a row summing to 0 stays 0).
 * 4. Second-order transitions M[k, i, ·], k the previous node, i the current one, for every k:
 *    - forward edge i → j: M[k, i, j] = (1 − β)·P[k, i] + β·P[i, j]; then M[k, i, ·] normalised to 1;
 *    - backward-only edge (access[j][i] > 0, access[i][j] = 0): M[k, i, j] = ρ·((1 − β)·P[k, i] + β·P[j, i]),
 *      these entries normalised to 1 among themselves (so ρ cancels: quirk below);
 *    - self-loop, if M[k, i, i] is still 0 (no self-call): M[k, i, i] = max(0, S_i − max_{j≠i} M[k, i, j])
 *      (also at the frontend, unlike MonitorRank; with the signed S_i, a negatively correlated service
 *      gets none);
 *    - every row M[k, i, ·] with a positive sum normalised to 1; rows summing to 0 are dead ends.
 * 5. Walk (`secondorder_randomwalk`): `epochs` epochs; each starts at the frontend with previous =
 *    current = frontend and makes up to `stepsPerEpoch` steps: next ~ M[previous, current, ·], count one
 *    visit of next (the start is not counted), previous ← current, current ← next. A dead end ends the
 *    epoch (no teleport: the next epoch restarts at the frontend).
 * 6. Rank by visit count, descending; ties by the lower index (the reference's stable sort).
 *
 * Reference quirks behind options:
 * - `pcLinks: 'reference-index-order'` (default) walks the PC skeleton in index order (step 1).
 * - `referenceBackwardNormalization: true` (default) normalises the backward entries of a row to sum 1 on
 *   their own, which cancels ρ whenever a row has one; false normalises them to sum ρ instead (the
 *   forward entries sum to 1), so ρ is the backward block's weight relative to the forward block, as its
 *   role in the paper suggests.
 * - `signedSelfLoop: true` (default) uses the signed S_i in the self-loop; false uses |S_i| (as P does).
 *
 * Where we depart from the reference (ours):
 * - CI test: Fisher z instead of `RobustRegressionTest`, and a bound on the conditioning-set size (pc.ts).
 * - Randomness: the reference seeds NumPy's global generator with 42. We take an explicit `seed` and draw
 *   the moves from `createRng(seed).fork('cloud-ranger/walk')`. The reference walk never teleports, so
 *   there is no teleport stream (monitor-rank.ts has one); one stream for the moves is all it needs.
 * - The reference aggregates the series by `pc_aggregate` = 5 points before PC and correlation, and
 *   caches the PC graph in an Excel file per window; the aggregation is the harness's choice of series
 *   (window-series.ts), and nothing is cached here (a pure function).
 * - The reference's `test_cloud_ranger` repeats the walk `testrun_round` times for its PR@k; one call
 *   here is one walk (call again with other seeds to average).
 *
 * What the reference semantics do on generated faults (cloud-ranger.test.ts): every row's forward block
 * and backward block are each normalised to 1, so a self-loop survives only where S_i exceeds the row's
 * largest entry. On the call chain 0 → 1 → 2 → 3 (and 0 → 4) with the fault at 3, no service keeps a
 * sizeable one: the walk reflects along the chain and visits services in proportion to their degree (the
 * root, a leaf, is not first); on the PC graph the frontend (S = 1) keeps a self-loop 1 − max entry and
 * ranks first, the root second. With `referenceBackwardNormalization: false` the root's row is its one
 * backward entry ρ and the self-loop S_3 − ρ, so it keeps the walker and ranks first on both graphs.
 * `pcLinks: 'effect-to-cause'` did not help there: PC orients few edges of such step-shaped series.
 *
 * Speed (measured on the 2-core dev machine, Node 20, N = 27 services, L = 301 latency-like series: a
 * random call tree, caller latency = own + 0.8 × callees' latency 1 s earlier, a shared AR(1) load, one
 * injected fault; defaults): about 0.1 s per call (95–115 ms, the mean of 20 warm calls, over runs);
 * 85–285 ms per data set over five generated ones (the first call includes JIT warm-up). Almost all of
 * it is PC (0.9–1.9·10⁵ CI tests, about 1 µs each); transitions and walk take about 5 ms. With
 * `pcMaxCondSize` 4 about 200 ms (up to 400), 5 up to 510 ms; the unbounded reference search grows
 * further. The bound caps a call at 351 edges × (1 + 25 + C(25, 2) + C(25, 3)) ≈ 9·10⁵ tests (about 1.2 s)
 * in the worst case (no edge ever removed), which generated data did not come near.
 */
import { EadroError } from '../../core/errors.js';
import { createRng } from '../../core/rng.js';
import { frontendCorrelations } from './correlation.js';
import { pcDefaults, pcGraph } from './pc.js';
import { rankDescending, validateLocalizerInput, type LocalizerInput, type LocalizerResult } from './types.js';

export type CloudRangerGraph = 'pc' | 'given';
export type CloudRangerPcLinks = 'reference-index-order' | 'effect-to-cause';

export const cloudRangerDefaults = {
  /** main_cloud_ranger.py `test_cloud_ranger(beta=0.3)`; `relaToRank`'s own default is 0.1, and the script's `__main__` passes 0.1. Weight of the current step's P[i, j] against the previous step's P[k, i]. */
  beta: 0.3,
  /** main_cloud_ranger.py `test_cloud_ranger(rho=0.2)` (and its `__main__`); `relaToRank`'s own default is 0.3. Weight of a backward edge (cancelled by the default `referenceBackwardNormalization`). */
  rho: 0.2,
  /** main_cloud_ranger.py `test_cloud_ranger`: `relaToRank(rela, access, 10, ...)`, i.e. 10 epochs. */
  epochs: 10,
  /** main_cloud_ranger.py `secondorder_randomwalk(walk_step=1000)`: steps per epoch. */
  stepsPerEpoch: 1000,
  /** main_cloud_ranger.py: PC graph unless `kws['dep_graph']` is given ('given' = `input.access`). */
  graph: 'pc' as CloudRangerGraph,
  /** main_cloud_ranger.py `test_cloud_ranger(pc_alpha=0.1)` → `build_graph_pc(data, alpha)`. */
  pcAlpha: pcDefaults.alpha,
  /** Ours (pc.ts `pcDefaults.maxCondSize`): largest conditioning set of the PC search; the reference is unbounded (Infinity). */
  pcMaxCondSize: pcDefaults.maxCondSize,
  /** Reference quirk (pc.ts `halfAlpha`): test at α/2 as RobustRegressionTest's conf_int(alpha/2) does. */
  pcHalfAlpha: pcDefaults.halfAlpha,
  /** Reference quirk: get_link_matrix.py drops PC's orientation and links i → j for i < j ('reference-index-order'); 'effect-to-cause' is ours. */
  pcLinks: 'reference-index-order' as CloudRangerPcLinks,
  /** Reference quirk: backward entries normalised to sum 1 on their own (ρ cancels); false: to sum ρ. */
  referenceBackwardNormalization: true,
  /** Reference quirk: the self-loop uses the signed correlation S_i (`rela[frontend − 1]`); false: |S_i|. */
  signedSelfLoop: true,
};

export type CloudRangerOptions = typeof cloudRangerDefaults;

function checkOptions(o: CloudRangerOptions & { seed: number }): void {
  const bad = (field: string, expected: string, found: unknown): EadroError => new EadroError('CloudRanger: bad option.', { field, expected, found: String(found) });
  if (!(typeof o.beta === 'number' && o.beta >= 0 && o.beta <= 1)) throw bad('beta', 'a number in [0, 1]', o.beta);
  if (!(typeof o.rho === 'number' && Number.isFinite(o.rho) && o.rho >= 0)) throw bad('rho', 'a finite number >= 0', o.rho);
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw bad('epochs', 'an integer >= 1', o.epochs);
  if (!(Number.isInteger(o.stepsPerEpoch) && o.stepsPerEpoch >= 1)) throw bad('stepsPerEpoch', 'an integer >= 1', o.stepsPerEpoch);
  if (o.graph !== 'pc' && o.graph !== 'given') throw bad('graph', "'pc' | 'given'", o.graph);
  if (!(typeof o.pcAlpha === 'number' && o.pcAlpha > 0 && o.pcAlpha < 1)) throw bad('pcAlpha', 'a number in (0, 1)', o.pcAlpha);
  if (!(o.pcMaxCondSize === Number.POSITIVE_INFINITY || (Number.isInteger(o.pcMaxCondSize) && o.pcMaxCondSize >= 0))) throw bad('pcMaxCondSize', 'an integer >= 0, or Infinity (the reference: unbounded)', o.pcMaxCondSize);
  if (typeof o.pcHalfAlpha !== 'boolean') throw bad('pcHalfAlpha', 'a boolean', o.pcHalfAlpha);
  if (o.pcLinks !== 'reference-index-order' && o.pcLinks !== 'effect-to-cause') throw bad('pcLinks', "'reference-index-order' | 'effect-to-cause'", o.pcLinks);
  if (typeof o.referenceBackwardNormalization !== 'boolean') throw bad('referenceBackwardNormalization', 'a boolean', o.referenceBackwardNormalization);
  if (typeof o.signedSelfLoop !== 'boolean') throw bad('signedSelfLoop', 'a boolean', o.signedSelfLoop);
  if (!(Number.isInteger(o.seed) && o.seed >= 0)) throw bad('seed', 'a non-negative integer', o.seed);
}

/** Options of `cloudRangerTransitions` (the reference's parameters and the two quirk flags of the module comment). */
export interface CloudRangerTransitionOptions {
  beta: number;
  rho: number;
  referenceBackwardNormalization: boolean;
  signedSelfLoop: boolean;
}

function normaliseInPlace(row: number[], indices?: readonly number[]): void {
  const idx = indices ?? row.map((_, j) => j);
  let sum = 0;
  for (const j of idx) sum += row[j] as number;
  if (sum > 0) for (const j of idx) row[j] = (row[j] as number) / sum;
}

/**
 * CloudRanger's first-order weights P and second-order transitions M (steps 3 and 4 of the module comment).
 * @param access [N][N] walk graph, access[i][j] > 0 for an edge i → j (caller → callee, or PC's link matrix).
 * @param similarity [N] S_i, the signed correlation with the frontend.
 * @param o β, ρ and the quirk flags.
 * @returns P [N][N] (rows sum to 1 or 0) and M [N][N][N], M[k][i] the distribution of the next node after
 *   k → i (rows sum to 1, or to 0 for a dead end).
 */
export function cloudRangerTransitions(access: ArrayLike<number>[], similarity: ArrayLike<number>, o: CloudRangerTransitionOptions): { P: number[][]; M: number[][][] } {
  const N = access.length;
  const edge = (i: number, j: number): boolean => ((access[i] as ArrayLike<number>)[j] as number) > 0;
  const P: number[][] = Array.from({ length: N }, (_, i) => Array.from({ length: N }, (_, j) => (edge(i, j) ? Math.abs(similarity[j] as number) : 0)));
  for (const row of P) normaliseInPlace(row);
  const backward: number[][] = Array.from({ length: N }, (_, i) => {
    const out: number[] = [];
    for (let j = 0; j < N; j++) if (!edge(i, j) && edge(j, i)) out.push(j);
    return out;
  });
  const { beta, rho } = o;
  const M: number[][][] = [];
  for (let k = 0; k < N; k++) {
    const Pk = P[k] as number[];
    const Mk: number[][] = [];
    for (let i = 0; i < N; i++) {
      const Pi = P[i] as number[];
      const row = new Array<number>(N).fill(0);
      const pki = Pk[i] as number;
      for (let j = 0; j < N; j++) if (edge(i, j)) row[j] = (1 - beta) * pki + beta * (Pi[j] as number);
      normaliseInPlace(row);
      const back = backward[i] as number[];
      if (back.length > 0) {
        let sum = 0;
        for (const j of back) {
          const v = rho * ((1 - beta) * pki + beta * ((P[j] as number[])[i] as number));
          row[j] = v;
          sum += v;
        }
        if (sum > 0) {
          const scale = o.referenceBackwardNormalization ? 1 / sum : rho / sum;
          for (const j of back) row[j] = (row[j] as number) * scale;
        }
      }
      if (row[i] === 0) {
        let maxOther = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < N; j++) if (j !== i && (row[j] as number) > maxOther) maxOther = row[j] as number;
        if (N === 1) maxOther = 0; // the reference's max over an empty list would raise; no other node, no competitor
        const s = similarity[i] as number;
        row[i] = Math.max(0, (o.signedSelfLoop ? s : Math.abs(s)) - maxOther);
      }
      normaliseInPlace(row);
      Mk.push(row);
    }
    M.push(Mk);
  }
  return { P, M };
}

/** The walk graph from a PC result's skeleton and orientation (module comment, step 1). */
function pcAccess(pc: { linkMatrix: number[][]; skeleton: number[][]; arrowheads: number[][] }, links: CloudRangerPcLinks): number[][] {
  if (links === 'reference-index-order') return pc.linkMatrix.map((row) => [...row]);
  const N = pc.skeleton.length;
  const access = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  for (let a = 0; a < N; a++) {
    for (let b = a + 1; b < N; b++) {
      if ((pc.skeleton[a] as number[])[b] !== 1) continue;
      const headAtB = (pc.arrowheads[a] as number[])[b] === 1;
      const headAtA = (pc.arrowheads[b] as number[])[a] === 1;
      // Causal a → b gives the walk edge b → a (effect to cause); unoriented or bidirected: both ways.
      if (headAtB && !headAtA) (access[b] as number[])[a] = 1;
      else if (headAtA && !headAtB) (access[a] as number[])[b] = 1;
      else {
        (access[a] as number[])[b] = 1;
        (access[b] as number[])[a] = 1;
      }
    }
  }
  return access;
}

/**
 * CloudRanger root-cause ranking of one input (module comment; baselines.md §3.2).
 * @param input per-service series [N][L] (any unit, e.g. ms per second; L ≥ 4 for the PC graph), the
 *   access matrix [N][N] (i calls j when access[i][j] > 0; used when `graph: 'given'`) and the frontend index.
 * @param options overrides of `cloudRangerDefaults`, and the `seed` (non-negative integer) of the walk.
 * @returns ranking: [N] services by visit count descending, ties by lower index; scores: [N] visit counts
 *   (their sum is `info.steps` ≤ epochs·stepsPerEpoch); info: `similarity` [N] signed S_i,
 *   `nanCorrelations`, `walkEdges` (the walk graph's edges [i, j]), `pcEdges`, `pcTests`, `pcDepthReached`,
 *   `pcDepthLimitHit` (PC graph only, else null), `steps`, `deadEnds` (epochs ended early), and the options used.
 */
export function cloudRangerRank(input: LocalizerInput, options: Partial<CloudRangerOptions> & { seed: number }): LocalizerResult {
  const { N, L } = validateLocalizerInput(input, 'CloudRanger');
  const o = { ...cloudRangerDefaults, ...options };
  checkOptions(o);
  if (o.graph === 'pc' && L < 4) throw new EadroError('CloudRanger: bad localizer input.', { field: 'series[0]', expected: "at least 4 points for the PC graph (graph: 'pc'; Fisher z needs L − 3 >= 1)", found: `length ${L}` });

  let access: number[][];
  let pcInfo: { pcEdges: number | null; pcTests: number | null; pcDepthReached: number | null; pcDepthLimitHit: boolean | null } = { pcEdges: null, pcTests: null, pcDepthReached: null, pcDepthLimitHit: null };
  if (o.graph === 'pc') {
    const pc = N >= 2 ? pcGraph(input.series, { alpha: o.pcAlpha, maxCondSize: o.pcMaxCondSize, halfAlpha: o.pcHalfAlpha }) : null;
    access = pc === null ? [[0]] : pcAccess(pc, o.pcLinks);
    pcInfo = { pcEdges: pc?.edges ?? 0, pcTests: pc?.testsRun ?? 0, pcDepthReached: pc?.depthReached ?? -1, pcDepthLimitHit: pc?.depthLimitHit ?? false };
  } else {
    access = input.access.map((row) => Array.from(row));
  }
  const walkEdges: [number, number][] = [];
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) if (((access[i] as number[])[j] as number) > 0) walkEdges.push([i, j]);

  const { corr: S, nanServices } = frontendCorrelations(input.series, input.frontend);
  const { M } = cloudRangerTransitions(access, S, o);
  const deadEnd = M.map((Mk) => Mk.map((row) => row.every((v) => v === 0)));

  const walkRng = createRng(o.seed).fork('cloud-ranger/walk');
  const counts = new Float64Array(N);
  let steps = 0;
  let deadEnds = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    let previous = input.frontend;
    let current = input.frontend;
    for (let step = 0; step < o.stepsPerEpoch; step++) {
      if ((deadEnd[previous] as boolean[])[current]) {
        deadEnds++;
        break;
      }
      const next = walkRng.weightedIndex((M[previous] as number[][])[current] as number[]);
      counts[next]++;
      steps++;
      previous = current;
      current = next;
    }
  }
  return {
    ranking: rankDescending(counts),
    scores: counts,
    info: {
      method: 'cloud-ranger',
      similarity: Array.from(S),
      nanCorrelations: nanServices,
      walkEdges,
      ...pcInfo,
      steps,
      deadEnds,
      options: { ...o, pcMaxCondSize: Number.isFinite(o.pcMaxCondSize) ? o.pcMaxCondSize : 'Infinity' },
    },
  };
}
