/**
 * Random forest classifier of the MS-RF baselines (paper §V-B2: "RF"; `../shared/specs/baselines.md`
 * §3.4: 100 trees, √d features per split), written here because the package the spec names is too slow
 * for our shapes. Measured (scratch script, this project's 2-core AMD EPYC VM, Node 20.20, one thread,
 * synthetic n = 2,800 × d = 17,000, 2 classes): `ml-random-forest` 2.1.0 took 36.6 s to fit ONE tree
 * (it copies the feature subset of the whole matrix per tree; 100 trees ≈ an hour; 10 trees did not end
 * within 90 s). Besides, its `maxFeatures` samples features once per tree, not per split as sklearn does.
 * Ours (scripts/bench/classifiers.ts -> results/bench/classifiers.json, same VM, quiet, d = 17,000 float32
 * columns, half of them constant 0): fit 4.1 s at n = 2,800 / 2 classes and 5.3 s at n = 1,500 /
 * 27 classes (binning 1.3 / 0.8 s of it); predictProba of 1,500 rows 0.15 / 0.26 s. With no constant
 * column: fit 7.5 s / 9-12 s (runs differ with the machine's load).
 *
 * What it is (sklearn's RandomForestClassifier semantics unless marked ours):
 * - Each tree is a CART grown on a bootstrap sample (n draws with replacement; a sample drawn k times
 *   carries weight k, as sklearn does it) with Gini impurity, until its leaves are pure or hold fewer
 *   than `minSamplesSplit` distinct samples (or `maxDepth` is reached).
 * - At each node, features are drawn without replacement until `maxFeatures` have been visited and at
 *   least one was non-constant at the node (sklearn's BestSplitter loop); constant ones count as visited.
 * - ours: split thresholds come from quantile bins computed once on the training data (≤ `maxBins` per
 *   feature; a feature with at most that many distinct values keeps all of them, so its splits are
 *   exact). A threshold is the midpoint between the two training values it separates, as in sklearn.
 * - `classWeight: 'balanced'` multiplies each sample's weight by n / (k · n_c) (computed on the full y).
 * - Class probabilities: the mean over trees of the leaf's weighted class frequencies.
 * Randomness: tree t uses `createRng(seed).fork('tree:t')` for its bootstrap and feature draws, so a seed
 * fixes the forest on every machine.
 */
import { createRng, type Rng } from '../../core/rng.js';
import { EadroError } from '../../core/errors.js';
import { checkLabels, checkMatrix, classWeights, type Matrix, type ProbabilisticClassifier } from './types.js';

export const randomForestDefaults = {
  /** baselines.md §3.4 ("RF: 100 trees") = sklearn's n_estimators default. */
  trees: 100,
  /** baselines.md §3.4 ("√d features") = sklearn's max_features='sqrt' for classifiers: floor(√d) per split. */
  maxFeatures: 'sqrt' as 'sqrt' | number,
  /** ours: sklearn's default (max_depth=None, grow until pure), since the paper gives none. */
  maxDepth: null as number | null,
  /** ours: sklearn's default (min_samples_leaf=1), since the paper gives none; counted in distinct training samples. */
  minSamplesLeaf: 1,
  /** ours: sklearn's default (min_samples_split=2), since the paper gives none; counted in distinct training samples. */
  minSamplesSplit: 2,
  /** ours: sklearn's default (bootstrap=True), since the paper gives none. */
  bootstrap: true,
  /** ours: unweighted, sklearn's default (class_weight=None); baselines.md §3.4 makes balanced weights optional ("report which"). */
  classWeight: null as 'balanced' | null,
  /**
   * ours: quantile bins per feature (2..255, stored as bytes), for speed. Measured (argmax-of-3 rule, 10-100
   * columns, n = 500-1,500, 3 seeds): 32 bins cost 0.5-1 accuracy points against 255, 64 bins 0.1-0.2; 64
   * made the n = 2,800 × d = 17,000 fit 23 % slower. Columns with ≤ maxBins distinct values split exactly.
   */
  maxBins: 32,
  /** ours: the seed of the bootstrap and feature draws. */
  seed: 0,
};

export type RandomForestOptions = typeof randomForestDefaults;

/** One tree in flat arrays; node 0 is the root. A leaf has feature −1 and its K probabilities at value[leaf·K…]. */
interface Tree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** [nodes, K]: class probabilities of leaves (zeros for inner nodes). */
  value: Float64Array;
  depth: number;
  leaves: number;
}

/** Quantile binning of the training matrix: bins [d, n] feature-major, thresholds per feature. */
interface Binned {
  bins: Uint8Array;
  /** edges[f]: increasing thresholds; bin(x) = #{e in edges[f] : e < x}; empty for a constant feature. */
  edges: Float64Array[];
}

export class RandomForest implements ProbabilisticClassifier {
  readonly options: RandomForestOptions;
  private trees: Tree[] = [];
  private classes = 0;
  private cols = 0;
  private facts: Record<string, unknown> = {};

  /** `options`: any of `randomForestDefaults`. */
  constructor(options: Partial<RandomForestOptions> = {}) {
    this.options = { ...randomForestDefaults, ...options };
    const o = this.options;
    const positiveInt = (v: number | null, field: string): void => {
      if (v !== null && (!Number.isInteger(v) || v < 1)) {
        throw new EadroError('RandomForest: bad option', { field, expected: 'a positive integer', found: String(v) });
      }
    };
    positiveInt(o.trees, 'trees');
    positiveInt(o.maxDepth, 'maxDepth');
    positiveInt(o.minSamplesLeaf, 'minSamplesLeaf');
    positiveInt(o.minSamplesSplit, 'minSamplesSplit');
    if (o.maxFeatures !== 'sqrt') positiveInt(o.maxFeatures, 'maxFeatures');
    if (!Number.isInteger(o.maxBins) || o.maxBins < 2 || o.maxBins > 255) {
      throw new EadroError('RandomForest: bad option', { field: 'maxBins', expected: 'an integer in 2..255', found: String(o.maxBins) });
    }
  }

  /** Fit on X [n, d] with labels y [n] in 0..classes−1. */
  fit(X: Matrix, y: Int32Array, classes: number): void {
    checkMatrix(X, 'X');
    checkLabels(X, y, classes);
    const o = this.options;
    const t0 = performance.now();
    const n = X.rows;
    const d = X.cols;
    const binned = binMatrix(X, o.maxBins);
    const tBin = performance.now();
    const classW = classWeights(y, classes, o.classWeight);
    const mtry = Math.min(d, o.maxFeatures === 'sqrt' ? Math.max(1, Math.floor(Math.sqrt(d))) : o.maxFeatures);
    const root = createRng(o.seed);
    const builder = new TreeBuilder(binned, y, n, d, classes, o, mtry);
    this.trees = [];
    for (let t = 0; t < o.trees; t++) this.trees.push(builder.grow(classW, root.fork(`tree:${t}`)));
    this.classes = classes;
    this.cols = d;
    let constant = 0;
    for (const e of binned.edges) if (e.length === 0) constant++;
    const depths = this.trees.map((tr) => tr.depth);
    const leaves = this.trees.map((tr) => tr.leaves);
    this.facts = {
      implementation: 'ours: histogram CART forest (src/baselines/classifiers/random-forest.ts)',
      trees: o.trees,
      maxFeatures: o.maxFeatures,
      featuresPerSplit: mtry,
      maxDepth: o.maxDepth,
      minSamplesLeaf: o.minSamplesLeaf,
      minSamplesSplit: o.minSamplesSplit,
      bootstrap: o.bootstrap,
      classWeight: o.classWeight,
      maxBins: o.maxBins,
      seed: o.seed,
      rows: n,
      cols: d,
      constantColumns: constant,
      classes,
      depthMax: Math.max(...depths),
      depthMean: depths.reduce((a, b) => a + b, 0) / depths.length,
      leavesMean: leaves.reduce((a, b) => a + b, 0) / leaves.length,
      binSeconds: (tBin - t0) / 1000,
      fitSeconds: (performance.now() - t0) / 1000,
    };
  }

  /** [rows, classes] row-major: the mean over trees of the leaf class frequencies. */
  predictProba(X: Matrix): Float64Array {
    if (this.trees.length === 0) throw new EadroError('RandomForest: predictProba before fit', { field: 'fit', expected: 'fit() called first' });
    checkMatrix(X, 'X', this.cols);
    const K = this.classes;
    const d = this.cols;
    const out = new Float64Array(X.rows * K);
    const v = X.values;
    for (const tree of this.trees) {
      const { feature, threshold, left, right, value } = tree;
      for (let r = 0; r < X.rows; r++) {
        const base = r * d;
        let node = 0;
        let f = feature[0] as number;
        while (f >= 0) {
          node = (v[base + f] as number) <= (threshold[node] as number) ? (left[node] as number) : (right[node] as number);
          f = feature[node] as number;
        }
        const o = r * K;
        const vo = node * K;
        for (let c = 0; c < K; c++) out[o + c]! += value[vo + c] as number;
      }
    }
    const inv = 1 / this.trees.length;
    for (let i = 0; i < out.length; i++) out[i]! *= inv;
    return out;
  }

  fitted(): Record<string, unknown> {
    return { ...this.facts };
  }
}

/**
 * Quantile bins of every column of X, computed once. Each column is sorted (LSD radix sort of its values'
 * float32 keys: 3.5x faster than a typed-array sort plus binary searches here, measured at n = 2,800) and
 * cut between distinct values: a column with at most `maxBins` distinct values gets one bin per value;
 * otherwise a cut goes at each k/maxBins quantile position, moved past a run of equal values, so the
 * bins hold about equal numbers of rows. Values are compared by their float32 rounding (ours: the sort
 * key); the thresholds use the exact values. Columns are gathered in blocks of 64 so X is read by rows.
 */
function binMatrix(X: Matrix, maxBins: number): Binned {
  const n = X.rows;
  const d = X.cols;
  const v = X.values;
  const bins = new Uint8Array(d * n);
  const edges: Float64Array[] = new Array<Float64Array>(d);
  const B = 64;
  const block = new Float64Array(B * n);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  let keyA = new Uint32Array(n);
  let keyB = new Uint32Array(n);
  let idxA = new Int32Array(n);
  let idxB = new Int32Array(n);
  const count = new Int32Array(2048);
  const cutAt: number[] = [];
  for (let j0 = 0; j0 < d; j0 += B) {
    const w = Math.min(B, d - j0);
    for (let i = 0; i < n; i++) {
      const base = i * d + j0;
      // + 0 turns −0 into +0, which would otherwise get its own key
      for (let k = 0; k < w; k++) block[k * n + i] = (v[base + k] as number) + 0;
    }
    for (let k = 0; k < w; k++) {
      const f = j0 + k;
      const off = k * n;
      // order-preserving uint32 keys of the float32 values
      let same = true;
      for (let i = 0; i < n; i++) {
        f32[0] = block[off + i] as number;
        const b = u32[0] as number;
        const key = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
        keyA[i] = key;
        idxA[i] = i;
        if (key !== keyA[0]) same = false;
      }
      if (same) {
        edges[f] = new Float64Array(0); // constant: every row in bin 0
        continue;
      }
      for (let shift = 0; shift < 32; shift += 11) {
        count.fill(0);
        for (let i = 0; i < n; i++) count[((keyA[i] as number) >>> shift) & 2047]!++;
        let sum = 0;
        for (let b = 0; b < 2048; b++) {
          const c = count[b] as number;
          count[b] = sum;
          sum += c;
        }
        for (let i = 0; i < n; i++) {
          const key = keyA[i] as number;
          const p = count[(key >>> shift) & 2047]!++;
          keyB[p] = key;
          idxB[p] = idxA[i] as number;
        }
        [keyA, keyB] = [keyB, keyA];
        [idxA, idxB] = [idxB, idxA];
      }
      let distinct = 1;
      for (let p = 1; p < n; p++) if (keyA[p] !== keyA[p - 1]) distinct++;
      // cut positions p: rows sorted before p go below the cut
      cutAt.length = 0;
      let q = 1;
      for (let p = 1; p < n; p++) {
        if (keyA[p] === keyA[p - 1]) continue;
        if (distinct <= maxBins) cutAt.push(p);
        else if (p >= Math.floor((q * n) / maxBins)) {
          cutAt.push(p);
          while (q < maxBins && Math.floor((q * n) / maxBins) <= p) q++;
          if (q >= maxBins) break;
        }
      }
      const e = new Float64Array(cutAt.length);
      let bin = 0;
      let next = cutAt.length > 0 ? (cutAt[0] as number) : n;
      const out = f * n;
      for (let p = 0; p < n; p++) {
        if (p === next) {
          // threshold between the largest exact value below the cut and the smallest above it
          let lo = -Infinity;
          for (let r = p - 1; r >= 0 && keyA[r] === keyA[p - 1]; r--) lo = Math.max(lo, block[off + (idxA[r] as number)] as number);
          let hi = Infinity;
          for (let r = p; r < n && keyA[r] === keyA[p]; r++) hi = Math.min(hi, block[off + (idxA[r] as number)] as number);
          e[bin] = midpoint(lo, hi);
          bin++;
          next = bin < cutAt.length ? (cutAt[bin] as number) : n;
        }
        bins[out + (idxA[p] as number)] = bin;
      }
      edges[f] = e;
    }
  }
  return { bins, edges };
}

/** The split point between a < b: their midpoint, or a when rounding puts the midpoint on b (as sklearn does). */
function midpoint(a: number, b: number): number {
  const m = a / 2 + b / 2;
  return m >= b || m < a ? a : m;
}

/** Grows trees on one binned training set; scratch arrays are shared across trees. */
class TreeBuilder {
  private readonly maxBins: number;
  private readonly idx: Int32Array;
  private readonly w: Float64Array;
  private readonly featPerm: Int32Array;
  private readonly isConst: Uint8Array;
  // split-search scratch
  private readonly hist: Float64Array;
  private readonly binCount: Int32Array;
  private readonly binStart: Int32Array;
  private readonly order: Int32Array;
  private readonly left: Float64Array;
  /** Weighted class sums of the node being split [K], their total and Σ_c total_c² (set per node; the right side is total − left). */
  private readonly total: Float64Array;
  private nodeW = 0;
  private nodeSq = 0;
  /** Result of the last scan: the best bin (−1: no valid split) and its criterion (fields, not an object: no garbage per feature). */
  private scanBin = -1;
  private scanScore = -Infinity;
  /** Bins of a node of ≤ 16 samples, insertion-sorted (scanSorted's small-node path). */
  private readonly tinyBins = new Int32Array(16);

  constructor(
    private readonly data: Binned,
    private readonly y: Int32Array,
    private readonly n: number,
    private readonly d: number,
    private readonly K: number,
    private readonly o: RandomForestOptions,
    private readonly mtry: number,
  ) {
    this.maxBins = o.maxBins;
    this.idx = new Int32Array(n);
    this.w = new Float64Array(n);
    this.featPerm = Int32Array.from({ length: d }, (_, i) => i);
    this.isConst = Uint8Array.from(data.edges, (e) => (e.length === 0 ? 1 : 0));
    this.hist = new Float64Array(this.maxBins * K);
    this.binCount = new Int32Array(this.maxBins + 1);
    this.binStart = new Int32Array(this.maxBins + 1);
    this.order = new Int32Array(n);
    this.left = new Float64Array(K);
    this.total = new Float64Array(K);
  }

  /** One tree: bootstrap weights from `rng`, then depth-first growth. */
  grow(classW: Float64Array, rng: Rng): Tree {
    const { n, y, w, idx, K, o } = this;
    w.fill(0);
    if (o.bootstrap) {
      for (let i = 0; i < n; i++) w[rng.int(n)]! += 1;
    } else {
      w.fill(1);
    }
    let m = 0;
    for (let i = 0; i < n; i++) {
      const wi = (w[i] as number) * (classW[y[i] as number] as number);
      w[i] = wi;
      if (wi > 0) idx[m++] = i;
    }
    const feature: number[] = [];
    const threshold: number[] = [];
    const leftChild: number[] = [];
    const rightChild: number[] = [];
    const value: number[] = [];
    let depthMax = 0;
    let leaves = 0;
    // stack of [start, end, depth, node]
    const stack: number[] = [0, m, 0, 0];
    const newNode = (): number => {
      feature.push(-1);
      threshold.push(0);
      leftChild.push(-1);
      rightChild.push(-1);
      for (let c = 0; c < K; c++) value.push(0);
      return feature.length - 1;
    };
    newNode();
    if (m === 0) {
      // every training weight is 0 (cannot happen with present classes): a uniform leaf
      for (let c = 0; c < K; c++) value[c] = 1 / K;
      return packTree(feature, threshold, leftChild, rightChild, value, 0, 1);
    }
    while (stack.length > 0) {
      const node = stack.pop() as number;
      const depth = stack.pop() as number;
      const end = stack.pop() as number;
      const start = stack.pop() as number;
      if (depth > depthMax) depthMax = depth;
      const total = this.total;
      total.fill(0);
      let W = 0;
      let nonzero = 0;
      for (let p = start; p < end; p++) {
        const s = idx[p] as number;
        total[y[s] as number]! += w[s] as number;
      }
      for (let c = 0; c < K; c++) {
        const t = total[c] as number;
        W += t;
        if (t > 0) nonzero++;
      }
      const count = end - start;
      const canSplit =
        nonzero > 1 &&
        count >= o.minSamplesSplit &&
        count >= 2 * o.minSamplesLeaf &&
        (o.maxDepth === null || depth < o.maxDepth);
      let sq = 0;
      for (let c = 0; c < K; c++) sq += (total[c] as number) ** 2;
      this.nodeW = W;
      this.nodeSq = sq;
      const split = canSplit ? this.bestSplit(start, end, rng) : null;
      if (split === null) {
        const vo = node * K;
        for (let c = 0; c < K; c++) value[vo + c] = (total[c] as number) / W;
        leaves++;
        continue;
      }
      // stable partition of idx[start, end) by bin <= split.bin: each node's samples stay in increasing
      // order, so a split search reads a feature's column forward
      const col = split.feature * n;
      const bins = this.data.bins;
      const spill = this.order;
      let a = start;
      let nRight = 0;
      for (let p = start; p < end; p++) {
        const s = idx[p] as number;
        if ((bins[col + s] as number) <= split.bin) idx[a++] = s;
        else spill[nRight++] = s;
      }
      idx.set(spill.subarray(0, nRight), a);
      const l = newNode();
      const r = newNode();
      feature[node] = split.feature;
      threshold[node] = this.data.edges[split.feature]![split.bin] as number;
      leftChild[node] = l;
      rightChild[node] = r;
      // right pushed first so the left subtree is built first (node order only; the tree is the same)
      stack.push(a, end, depth + 1, r, start, a, depth + 1, l);
    }
    return packTree(feature, threshold, leftChild, rightChild, value, depthMax, leaves);
  }

  /**
   * The best Gini split of the samples idx[start, end) over the features drawn at this node, or null
   * when every drawn feature is constant here or no split leaves minSamplesLeaf samples on each side.
   * The criterion maximised is Σ_c L_c²/W_L + Σ_c R_c²/W_R (weighted class sums), which is the weighted
   * Gini decrease up to a constant of the node.
   */
  private bestSplit(start: number, end: number, rng: Rng): { feature: number; bin: number } | null {
    const { K, d, mtry, featPerm, isConst } = this;
    let bestScore = -Infinity;
    let bestFeature = -1;
    let bestBin = -1;
    let visited = 0;
    let constants = 0;
    let drawn = 0;
    // sklearn's loop: visit mtry features, and go on while every visited one was constant
    while (drawn < d && (visited < mtry || visited <= constants)) {
      const j = drawn + rng.int(d - drawn);
      const f = featPerm[j] as number;
      featPerm[j] = featPerm[drawn] as number;
      featPerm[drawn] = f;
      drawn++;
      visited++;
      if (isConst[f] === 1) {
        constants++;
        continue;
      }
      const nonConstant = end - start > this.maxBins * K ? this.scanHistogram(f, start, end) : this.scanSorted(f, start, end);
      if (!nonConstant) {
        constants++;
        continue;
      }
      if (this.scanBin >= 0 && this.scanScore > bestScore) {
        bestScore = this.scanScore;
        bestFeature = f;
        bestBin = this.scanBin;
      }
    }
    return bestFeature < 0 || bestBin < 0 ? null : { feature: bestFeature, bin: bestBin };
  }

  /** Split search by a [bins, K] histogram: O(count + bins·K); for large nodes. False when the feature is constant here; else the result is in scanBin/scanScore. */
  private scanHistogram(f: number, start: number, end: number): boolean {
    const { K, idx, w, y, hist, binCount, left, total } = this;
    const bins = this.data.bins;
    const nb = (this.data.edges[f] as Float64Array).length + 1;
    const col = f * this.n;
    hist.fill(0, 0, nb * K);
    binCount.fill(0, 0, nb);
    for (let p = start; p < end; p++) {
      const s = idx[p] as number;
      const b = bins[col + s] as number;
      hist[b * K + (y[s] as number)]! += w[s] as number;
      binCount[b]!++;
    }
    let occupied = 0;
    for (let b = 0; b < nb; b++) if ((binCount[b] as number) > 0) occupied++;
    if (occupied < 2) return false;
    left.fill(0);
    let sqL = 0;
    let sqR = this.nodeSq;
    let WL = 0;
    let WR = this.nodeW;
    const minLeaf = this.o.minSamplesLeaf;
    const count = end - start;
    let nL = 0;
    let best = -Infinity;
    let bestBin = -1;
    for (let b = 0; b < nb - 1; b++) {
      const nbin = binCount[b] as number;
      if (nbin === 0) continue;
      const h = b * K;
      for (let c = 0; c < K; c++) {
        const x = hist[h + c] as number;
        if (x === 0) continue;
        const l = left[c] as number;
        const r = (total[c] as number) - l;
        sqL += x * (2 * l + x);
        sqR -= x * (2 * r - x);
        left[c] = l + x;
        WL += x;
        WR -= x;
      }
      nL += nbin;
      if (nL < minLeaf) continue;
      if (count - nL < minLeaf) break;
      if (WR <= 0) break;
      const score = sqL / WL + sqR / WR;
      if (score > best) {
        best = score;
        bestBin = b;
      }
    }
    this.scanBin = bestBin;
    this.scanScore = best;
    return true;
  }

  /** Split search by a counting sort of the node's samples on their bin: O(count + bins); for small nodes. As scanHistogram. */
  private scanSorted(f: number, start: number, end: number): boolean {
    const { K, idx, w, y, binCount, binStart, order, left, total } = this;
    const bins = this.data.bins;
    const col = f * this.n;
    const count = end - start;
    const nb = (this.data.edges[f] as Float64Array).length + 1;
    // stops[t]: end (in `order`) of the t-th occupied bin, ascending; binStart doubles as its storage
    let groups = 0;
    if (count <= 16) {
      // tiny node: insertion sort by bin, O(count²) but free of per-bin loops
      const keys = this.tinyBins;
      for (let p = 0; p < count; p++) {
        const s = idx[start + p] as number;
        const b = bins[col + s] as number;
        let q = p;
        while (q > 0 && (keys[q - 1] as number) > b) {
          keys[q] = keys[q - 1] as number;
          order[q] = order[q - 1] as number;
          q--;
        }
        keys[q] = b;
        order[q] = s;
      }
      for (let p = 1; p < count; p++) if (keys[p] !== keys[p - 1]) binStart[groups++] = p;
      if (groups === 0) return false;
      binStart[groups++] = count;
    } else {
      binCount.fill(0, 0, nb);
      for (let p = start; p < end; p++) binCount[bins[col + (idx[p] as number)] as number]!++;
      let acc = 0;
      for (let b = 0; b < nb; b++) {
        const c = binCount[b] as number;
        binCount[b] = acc; // start of bin b in `order`
        if (c > 0) {
          acc += c;
          binStart[groups++] = acc;
        }
      }
      if (groups < 2) return false;
      for (let p = start; p < end; p++) {
        const s = idx[p] as number;
        order[binCount[bins[col + s] as number]!++] = s;
      }
    }
    left.fill(0);
    let sqL = 0;
    let sqR = this.nodeSq;
    let WL = 0;
    let WR = this.nodeW;
    const minLeaf = this.o.minSamplesLeaf;
    let best = -Infinity;
    let bestGroup = -1;
    let q = 0;
    for (let g = 0; g < groups - 1; g++) {
      const stop = binStart[g] as number;
      for (; q < stop; q++) {
        const s = order[q] as number;
        const c = y[s] as number;
        const x = w[s] as number;
        const l = left[c] as number;
        const r = (total[c] as number) - l;
        sqL += x * (2 * l + x);
        sqR -= x * (2 * r - x);
        left[c] = l + x;
        WL += x;
        WR -= x;
      }
      if (q < minLeaf) continue;
      if (count - q < minLeaf) break;
      const score = sqL / WL + sqR / WR;
      if (score > best) {
        best = score;
        bestGroup = g;
      }
    }
    // the split goes after the last bin of the best group: the bin of its last sample
    this.scanBin = bestGroup < 0 ? -1 : (bins[col + (order[(binStart[bestGroup] as number) - 1] as number)] as number);
    this.scanScore = best;
    return true;
  }
}

function packTree(feature: number[], threshold: number[], left: number[], right: number[], value: number[], depth: number, leaves: number): Tree {
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    depth,
    leaves,
  };
}
