import { strict as assert } from 'node:assert';
import { EadroError } from '../../src/core/errors.js';
import {
  splitClassWarnings,
  coverageMarkdown,
  coverageTable,
  episodeDisjointSplits,
  makeSplits,
  referenceRandomSplit,
  temporalSplit,
  type ProtocolSplit,
} from '../../src/evaluation/protocols.js';
import type { WindowDataset } from '../../src/windows/types.js';
import { toyDataset } from '../experiments/fixtures/toy-dataset.js';

/** Every window at most once over the parts; returns the part of each window (-1 = none). */
function partOf(ds: WindowDataset, s: ProtocolSplit): Int8Array {
  const part = new Int8Array(ds.W).fill(-1);
  [s.train, s.val, s.test].forEach((list, p) => {
    for (const i of list) {
      assert.equal(part[i], -1, `window ${i} is in two parts`);
      part[i] = p;
    }
  });
  return part;
}

/** No two windows of different parts in the same run overlap in time: [s, s+T) ranges are disjoint. */
function assertNoStraddling(ds: WindowDataset, s: ProtocolSplit): void {
  const part = partOf(ds, s);
  const byRun = new Map<string, number[]>();
  for (let i = 0; i < ds.W; i++) if ((part[i] as number) >= 0) (byRun.get(ds.meta.runId[i] as string) ?? byRun.set(ds.meta.runId[i] as string, []).get(ds.meta.runId[i] as string)!).push(i);
  for (const idx of byRun.values()) {
    for (const a of idx) {
      for (const b of idx) {
        if (part[a] === part[b]) continue;
        const sa = ds.meta.start[a] as number;
        const sb = ds.meta.start[b] as number;
        assert.ok(sa + ds.T <= sb || sb + ds.T <= sa, `windows ${a} (part ${part[a]}) and ${b} (part ${part[b]}) overlap`);
      }
    }
  }
}

describe('evaluation/protocols', () => {
  const ds = toyDataset({ runs: 3, episodesPerRun: 3, windowsPerEpisode: 60, faultWindows: 40, T: 10 });

  it('reference-random: a seeded partition of every window, 70/30 or 60/40, model selection on test', () => {
    const s = referenceRandomSplit(ds, 7);
    const part = partOf(ds, s);
    assert.ok(part.every((p) => p === 0 || p === 2), 'every window in train or test, no validation');
    assert.equal(s.test.length, Math.round(ds.W * 0.3));
    assert.equal(s.val.length, 0);
    assert.equal(s.modelSelection, 'test');
    assert.equal(s.protocol, 'reference-random');
    assert.deepEqual(s.params, { testFraction: 0.3, seed: 7, modelSelectionEveryEpochs: 10 });
    assert.deepEqual(referenceRandomSplit(ds, 7), s, 'same seed, same split');
    assert.notDeepEqual(referenceRandomSplit(ds, 8).test, s.test, 'another seed, another split');
    assert.equal(referenceRandomSplit(ds, 7, { testFraction: 0.4 }).test.length, Math.round(ds.W * 0.4));
  });

  it('temporal without stratification: train, validation, test in time order per episode, purged so no window straddles parts', () => {
    const s = temporalSplit(ds, { stratifyByLabel: false });
    assert.equal(s.protocol, 'temporal');
    assert.equal(s.modelSelection, 'validation');
    assert.equal(s.params['purgeGapSeconds'], ds.T - 1);
    assertNoStraddling(ds, s);
    const part = partOf(ds, s);
    // Per episode: every train window starts before every val window, val before test, with a gap of
    // at least T − 1 skipped window starts (first start of the next part − last start of the previous ≥ T).
    for (let r = 0; r < 3; r++) {
      for (let e = 0; e < 3; e++) {
        const starts = [0, 1, 2].map((p) => {
          const out: number[] = [];
          for (let i = 0; i < ds.W; i++) if (ds.meta.runId[i] === `run${r}` && ds.meta.episodeId[i] === e && part[i] === p) out.push(ds.meta.start[i] as number);
          return out;
        });
        for (const st of starts) assert.ok(st.length > 0, `run${r} episode ${e} has a window in every part`);
        assert.ok(Math.min(...starts[1]!) - Math.max(...starts[0]!) >= ds.T, 'purge gap train→val');
        assert.ok(Math.min(...starts[2]!) - Math.max(...starts[1]!) >= ds.T, 'purge gap val→test');
      }
    }
    // Purged: T−1 windows at each of the 2 in-episode boundaries, and at the boundaries between
    // adjacent episodes of a run (test tail → next episode's train head): 9·2 + 3·2 boundaries.
    assert.equal(s.purged, (ds.T - 1) * (9 * 2 + 3 * 2));
    assert.equal(s.train.length + s.val.length + s.test.length + s.purged, ds.W);
    assert.deepEqual(temporalSplit(ds, { stratifyByLabel: false }), s, 'deterministic');
  });

  it('temporal (default, stratified by label): per episode and class, train then validation then test, both classes in every part', () => {
    // Segments long enough that each class keeps windows in every part after the T−1 purges.
    const ds = toyDataset({ runs: 3, episodesPerRun: 3, windowsPerEpisode: 160, faultWindows: 100, T: 10 });
    const s = temporalSplit(ds);
    assert.equal(s.params['stratifyByLabel'], true);
    assertNoStraddling(ds, s);
    const part = partOf(ds, s);
    for (let r = 0; r < 3; r++) {
      for (let e = 0; e < 3; e++) {
        for (const faulty of [true, false]) {
          const starts = [0, 1, 2].map((p) => {
            const out: number[] = [];
            for (let i = 0; i < ds.W; i++) {
              if (ds.meta.runId[i] === `run${r}` && ds.meta.episodeId[i] === e && part[i] === p && (ds.labels[i]! >= 0) === faulty) out.push(ds.meta.start[i] as number);
            }
            return out;
          });
          const what = `run${r} episode ${e} ${faulty ? 'faulty' : 'normal'}`;
          for (const st of starts) assert.ok(st.length > 0, `${what} has a window in every part`);
          assert.ok(Math.min(...starts[1]!) - Math.max(...starts[0]!) >= ds.T, `${what}: purge gap train→val`);
          assert.ok(Math.min(...starts[2]!) - Math.max(...starts[1]!) >= ds.T, `${what}: purge gap val→test`);
        }
      }
    }
    // The test part keeps about the dataset's share of faulty windows (the unstratified split's test
    // tail is mostly the normal gap after each fault).
    const share = (ids: readonly number[]): number => ids.filter((i) => ds.labels[i]! >= 0).length / ids.length;
    const all = share(Array.from({ length: ds.W }, (_, i) => i));
    assert.ok(Math.abs(share(s.test) - all) < 0.15, `test faulty share ${share(s.test)} vs dataset ${all}`);
    assert.ok(share(temporalSplit(ds, { stratifyByLabel: false }).test) < share(s.test) - 0.2, 'unstratified test tail is mostly normal');
    assert.equal(s.train.length + s.val.length + s.test.length + s.purged, ds.W);
    assert.deepEqual(temporalSplit(ds), s, 'deterministic');
  });

  it('temporal: fault-free runs are split by time the same way', () => {
    const withFree = toyDataset({ runs: 1, episodesPerRun: 2, windowsPerEpisode: 60, faultFreeRuns: 1 });
    const s = temporalSplit(withFree);
    assertNoStraddling(withFree, s);
    const part = partOf(withFree, s);
    const freeParts = new Set<number>();
    for (let i = 0; i < withFree.W; i++) if (withFree.meta.runId[i] === 'free0') freeParts.add(part[i] as number);
    assert.deepEqual([...freeParts].filter((p) => p >= 0).sort(), [0, 1, 2]);
  });

  it('episode-disjoint: folds hold out whole runs, are disjoint and cover every window', () => {
    const big = toyDataset({ runs: 6, episodesPerRun: 2, windowsPerEpisode: 40 });
    const splits = episodeDisjointSplits(big, 3, { folds: 3 });
    assert.equal(splits.length, 3);
    const tested = new Int32Array(big.W);
    for (const s of splits) {
      assert.equal(s.protocol, 'episode-disjoint');
      assert.equal(s.fold?.count, 3);
      assertNoStraddling(big, s);
      const testRuns = new Set(s.test.map((i) => big.meta.runId[i]));
      const trainRuns = new Set([...s.train, ...s.val].map((i) => big.meta.runId[i]));
      assert.equal([...testRuns].filter((r) => trainRuns.has(r)).length, 0, 'no run in both test and training');
      assert.equal(testRuns.size, 2);
      assert.ok(s.val.length > 0);
      for (const i of s.test) tested[i]!++;
    }
    assert.ok(tested.every((c) => c === 1), 'every window tested exactly once over the folds');
    assert.deepEqual(episodeDisjointSplits(big, 3, { folds: 3 }), splits, 'same seed, same folds');
    const other = episodeDisjointSplits(big, 4, { folds: 3 });
    assert.notDeepEqual(other.map((s) => s.test), splits.map((s) => s.test), 'another seed, other folds');
  });

  it('episode-disjoint: fault-free runs only train behind the flag; bad fold counts are named', () => {
    const withFree = toyDataset({ runs: 3, episodesPerRun: 1, faultFreeRuns: 2 });
    for (const s of episodeDisjointSplits(withFree, 0, { folds: 3, faultFreeRunsTrainOnly: true })) {
      assert.ok(s.test.every((i) => !String(withFree.meta.runId[i]).startsWith('free')));
    }
    assert.throws(() => episodeDisjointSplits(withFree, 0, { folds: 6 }), (err: unknown) => err instanceof EadroError && /field: folds/.test(err.message));
  });

  it('coverage table: (service, fault type) pairs injected once are never seen in training', () => {
    // 9 injections over 9 distinct (service, fault type) pairs: every test pair is unseen.
    const once = toyDataset({ runs: 3, episodesPerRun: 3, nodes: 9, culprit: (e) => e });
    const rows = coverageTable(once, episodeDisjointSplits(once, 1, { folds: 3 }));
    assert.equal(rows.length, 9);
    assert.ok(rows.every((r) => !r.seenInTraining && r.trainWindows === 0));
    // Every run repeats the same 3 injections: every pair is seen in training.
    const repeated = toyDataset({ runs: 3, episodesPerRun: 3, nodes: 3, culprit: (e) => e % 3 });
    const rows2 = coverageTable(repeated, episodeDisjointSplits(repeated, 1, { folds: 3 }));
    assert.ok(rows2.length > 0 && rows2.every((r) => r.seenInTraining));
    assert.match(coverageMarkdown(rows), /fold 0: 3 of 3 test \(service, fault type\) pairs never seen in training/);
  });

  it('makeSplits dispatches by name and rejects unknown protocols', () => {
    assert.equal(makeSplits(ds, { name: 'temporal' }, 0).length, 1);
    assert.equal(makeSplits(ds, { name: 'reference-random', params: { testFraction: 0.4 } }, 0)[0]!.params['testFraction'], 0.4);
    assert.equal(makeSplits(ds, { name: 'episode-disjoint', params: { folds: 3 } }, 0).length, 3);
    assert.throws(() => makeSplits(ds, { name: 'nope' as never }, 0), /Unknown protocol/);
    assert.throws(() => temporalSplit(ds, { trainFraction: 1.5 }), /field: trainFraction/);
  });
  it('names the parts of a split that lack a class (validation cannot select, test leaves MCC undefined)', () => {
    const labels = Int32Array.from([-1, 2, -1, 1, 1, 1, -1, -1]);
    const ds = { labels };
    assert.deepEqual(splitClassWarnings(ds, { val: [0, 1], test: [2, 3] }), []);
    assert.deepEqual(splitClassWarnings(ds, { val: [3, 4, 5], test: [6, 7] }), [
      'the validation part holds only faulty windows (3): F1 on it cannot tell checkpoints or thresholds apart',
      'the test part holds only normal windows (2): MCC and PR-AUC are undefined on it',
    ]);
    assert.deepEqual(splitClassWarnings(ds, { val: [], test: [0, 1] }), [], 'an empty part (selection on test) is not a warning');
  });
});
