/**
 * MonitorRank (Kim et al., SIGMETRICS'13) as the reference `PanYicheng/dycause_rca:main_monitor_rank.py`
 * implements it (`../shared/specs/baselines.md` §3.2 "MonitorRank"): a random walk on the call graph,
 * biased towards services whose series look like the frontend's, counted by Monte Carlo.
 *
 * 1. Similarity S_i = |corr(x_i, x_frontend)| (`np.corrcoef`, correlation.ts; a NaN correlation counts as
 *    0). S_frontend = 1 (its self-correlation) unless its series is constant.
 * 2. Transitions (`relaToRank`), for every ordered pair (i, j), i = j included:
 *    - forward edge, i calls j (access[i][j] > 0): P[i, j] = S_j;
 *    - else backward edge, j calls i only: P[i, j] = ρ·S_i;
 *    - then, for every i ≠ frontend, the self-loop P[i, i] = max(0, S_i − max_j P[i, j]), the max taken
 *      over the whole row as built so far (the reference's `max(P[i])`; a self-call access[i][i] > 0 is a
 *      forward edge first, then overwritten by this rule, except at the frontend);
 *    - rows with a positive sum are normalised to 1; rows summing to 0 stay 0 (dead ends).
 * 3. Walk (`firstorder_randomwalk`): start at the frontend once; `epochs` epochs of up to `stepsPerEpoch`
 *    steps. Each step moves to a successor drawn from the row of P and counts one visit of the node
 *    moved to (the start is not counted). At a dead end the walker teleports to a service drawn with
 *    probability S_i / Σ S, which ends that epoch; the teleport target is not counted, and the next
 *    epoch continues from it (the reference sets `current` to the frontend once, before the epochs).
 *    So "10 epochs × 1000 steps from the frontend" is one walk of at most 10 000 counted steps.
 * 4. Rank by visit count, descending; ties by the lower index (the reference's stable sort).
 *
 * Where the reference is silent or would fail (ours):
 * - Σ S = 0 (every correlation 0 or NaN, e.g. a constant frontend series): the reference's teleport
 *   vector is 0/0 and np.random.choice raises. We teleport uniformly.
 * - Randomness: the reference seeds NumPy's global generator with 42. We take an explicit `seed` and
 *   draw from `createRng(seed).fork('monitor-rank/walk')` (moves) and `.fork('monitor-rank/teleport')`
 *   (teleports), separate substreams so the number of teleports does not shift the walk's draws.
 *   Counts are Monte Carlo: another seed gives other counts (and, for close services, maybe another
 *   order).
 * - The original paper uses personalised PageRank; the reference (and so this port) walks.
 * - The reference aggregates the series by `pc_aggregate` = 5 points before correlating; that is the
 *   harness's choice of series (window-series.ts), not done here.
 */
import { EadroError } from '../../core/errors.js';
import { createRng } from '../../core/rng.js';
import { frontendCorrelations } from './correlation.js';
import { rankDescending, validateLocalizerInput, type LocalizerInput, type LocalizerResult } from './types.js';

export const monitorRankDefaults = {
  /** main_monitor_rank.py `test_monitor_rank(rho=0.2)`; `relaToRank`'s own default is 0.3 (baselines.md §3.2). Weight of a backward edge, unitless. */
  rho: 0.2,
  /** main_monitor_rank.py `test_monitor_rank`: `relaToRank(rela, callgraph, 10, ...)`, i.e. 10 epochs. */
  epochs: 10,
  /** main_monitor_rank.py `firstorder_randomwalk(walk_step=1000)`: steps per epoch. */
  stepsPerEpoch: 1000,
};

export type MonitorRankOptions = typeof monitorRankDefaults;

function checkOptions(o: MonitorRankOptions & { seed: number }): void {
  const bad = (field: string, expected: string, found: unknown): EadroError => new EadroError('MonitorRank: bad option.', { field, expected, found: String(found) });
  if (!(Number.isFinite(o.rho) && o.rho >= 0)) throw bad('rho', 'a finite number >= 0', o.rho);
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw bad('epochs', 'an integer >= 1', o.epochs);
  if (!(Number.isInteger(o.stepsPerEpoch) && o.stepsPerEpoch >= 1)) throw bad('stepsPerEpoch', 'an integer >= 1', o.stepsPerEpoch);
  if (!(Number.isInteger(o.seed) && o.seed >= 0)) throw bad('seed', 'a non-negative integer', o.seed);
}

/**
 * MonitorRank's row-normalised transition matrix (step 2 of the module comment).
 * @param access [N][N] access matrix, access[i][j] > 0 when i calls j.
 * @param similarity [N] S_i ≥ 0.
 * @param frontend index of the frontend (no self-loop).
 * @param rho backward-edge weight.
 * @returns [N][N] rows summing to 1, or to 0 for a dead end.
 */
export function monitorRankTransitions(access: ArrayLike<number>[], similarity: ArrayLike<number>, frontend: number, rho: number): number[][] {
  const N = access.length;
  const P: number[][] = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  for (let i = 0; i < N; i++) {
    const row = P[i] as number[];
    for (let j = 0; j < N; j++) {
      if ((access[i] as ArrayLike<number>)[j]! > 0) row[j] = similarity[j] as number;
      else if ((access[j] as ArrayLike<number>)[i]! > 0) row[j] = rho * (similarity[i] as number);
    }
  }
  for (let i = 0; i < N; i++) {
    if (i === frontend) continue;
    const row = P[i] as number[];
    // Let the walker stay at a service more similar to the frontend than anything it can move to.
    row[i] = Math.max(0, (similarity[i] as number) - Math.max(...row));
  }
  for (const row of P) {
    let sum = 0;
    for (const v of row) sum += v;
    if (sum > 0) for (let j = 0; j < N; j++) row[j] = (row[j] as number) / sum;
  }
  return P;
}

/**
 * MonitorRank root-cause ranking of one input (module comment; baselines.md §3.2).
 * @param input per-service series [N][L] (any unit, e.g. ms per second), the access matrix [N][N]
 *   (i calls j when access[i][j] > 0) and the frontend index.
 * @param options overrides of `monitorRankDefaults`, and the `seed` (non-negative integer) of the walk.
 * @returns ranking: [N] services by visit count descending, ties by lower index; scores: [N] visit
 *   counts (their sum is `info.steps` ≤ epochs·stepsPerEpoch); info: `similarity` [N] S_i,
 *   `nanCorrelations`, `steps`, `teleports`, `teleportUniform` (Σ S = 0), and the options used.
 */
export function monitorRankRank(input: LocalizerInput, options: Partial<MonitorRankOptions> & { seed: number }): LocalizerResult {
  const { N } = validateLocalizerInput(input, 'MonitorRank');
  const o = { ...monitorRankDefaults, ...options };
  checkOptions(o);
  const { corr, nanServices } = frontendCorrelations(input.series, input.frontend);
  const S = Float64Array.from(corr, (r) => Math.abs(r));
  const P = monitorRankTransitions(input.access, S, input.frontend, o.rho);
  const deadEnd = P.map((row) => row.every((v) => v === 0));
  let sumS = 0;
  for (const s of S) sumS += s;
  const teleportUniform = !(sumS > 0);
  const teleport = teleportUniform ? new Array<number>(N).fill(1) : Array.from(S);

  const rng = createRng(o.seed);
  const walkRng = rng.fork('monitor-rank/walk');
  const teleportRng = rng.fork('monitor-rank/teleport');
  const counts = new Float64Array(N);
  let current = input.frontend;
  let steps = 0;
  let teleports = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let step = 0; step < o.stepsPerEpoch; step++) {
      if (deadEnd[current]) {
        current = teleportRng.weightedIndex(teleport);
        teleports++;
        break;
      }
      current = walkRng.weightedIndex(P[current] as number[]);
      counts[current]++;
      steps++;
    }
  }
  return {
    ranking: rankDescending(counts),
    scores: counts,
    info: {
      method: 'monitor-rank',
      similarity: Array.from(S),
      nanCorrelations: nanServices,
      steps,
      teleports,
      teleportUniform,
      options: { ...o },
    },
  };
}
