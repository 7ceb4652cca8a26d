/** N-sigma (baselines.md §3.1): statistics without padding, σ floor, scores, choice of n, ranking, refusal. */
import { strict as assert } from 'node:assert';
import { NSigma, fitNSigmaStats, nSigmaDefaults, nSigmaZ } from '../../src/baselines/n-sigma.js';
import { baselineMethod } from '../../src/experiments/methods/baseline.js';
import type { ProtocolSplit } from '../../src/evaluation/protocols.js';
import { latencyDataset } from './helpers.js';

describe('baselines/n-sigma', () => {
  it('fits mean and std on the non-padded slots of training-normal windows only', () => {
    const ds = latencyDataset(
      [
        [[10, 0, 20], [5, 5, 5]], // normal
        [[30, 0, 0], [0, 0, 0]], // normal
        [[999, 999, 999], [999, 999, 999]], // faulty: ignored
      ],
      [-1, -1, 0],
    );
    const s = fitNSigmaStats(ds, [0, 1, 2]);
    // service a: slots 10, 20, 30 -> mean 20, population std sqrt(200/3) = 8.165 (above the 10 % floor)
    assert.equal(s.slots[0], 3);
    assert.ok(Math.abs(s.mean[0]! - 20) < 1e-12);
    assert.ok(Math.abs(s.std[0]! - Math.sqrt(200 / 3)) < 1e-12);
    // service b: constant 5 -> std 0, floored at 10 % of the mean = 0.5
    assert.equal(s.slots[1], 3);
    assert.equal(s.mean[1], 5);
    assert.ok(Math.abs(s.std[1]! - 0.5) < 1e-12);
  });

  it('scores a window by the largest z of a service maximum; no span = no z', () => {
    const ds = latencyDataset(
      [
        [[10, 0, 20], [5, 5, 5]],
        [[30, 0, 0], [0, 0, 0]],
        [[0, 60, 0], [6, 0, 0]], // a: (60 - 20) / 8.165 = 4.899; b: (6 - 5) / 0.5 = 2
        [[0, 0, 0], [0, 0, 0]], // no span at all
      ],
      [-1, -1, 0, -1],
    );
    const stats = fitNSigmaStats(ds, [0, 1]);
    const z = nSigmaZ(ds, stats, [2, 3]);
    assert.ok(Math.abs(z[0]! - 40 / Math.sqrt(200 / 3)) < 1e-9);
    assert.ok(Math.abs(z[1]! - 2) < 1e-9);
    assert.ok(Number.isNaN(z[2]!) && Number.isNaN(z[3]!));
    const model = new NSigma([3]);
    model.fit({ ds, train: [0, 1], select: [], seed: 0 });
    const out = model.detect(ds, [2, 3]);
    assert.ok(Math.abs(out.score[0]! - 40 / Math.sqrt(200 / 3)) < 1e-9);
    assert.equal(out.score[1], nSigmaDefaults.noSpanScore);
    assert.deepEqual(out.flagged, [true, false]);
    // ranking: a (z 4.9) before b (z 2); in the empty window both lack a z: node order
    assert.deepEqual(model.rank(ds, [2, 3]), [[0, 1], [0, 1]]);
  });

  it('ranks services without a span last, and chooses n by F1 on the selection windows', () => {
    // Training normals: a has mean 10 with std 1 (slots 9, 11); b mean 10 std 1.
    const normal = [[9, 11, 0], [9, 11, 0]];
    const lat = [normal, normal];
    const labels = [-1, -1];
    // Selection: faulty windows whose a-max gives z = 2.2 and 2.7, normal windows with z = 2.1 on b.
    lat.push([[12.2, 0, 0], [0, 0, 0]], [[12.7, 0, 0], [0, 0, 0]], [[0, 0, 0], [12.1, 0, 0]]);
    labels.push(0, 0, -1);
    const ds = latencyDataset(lat, labels);
    const model = new NSigma([2, 2.5, 3]);
    model.fit({ ds, train: [0, 1], select: [2, 3, 4], seed: 0 });
    const fitted = model.fitted() as { n: number; selectionF1ByN: Record<string, number> };
    // n = 2: TP 2, FP 1 -> F1 0.8; n = 2.5: TP 1, FN 1 -> 0.667; n = 3: nothing flagged -> 0
    assert.ok(Math.abs(fitted.selectionF1ByN['2']! - 0.8) < 1e-12);
    assert.ok(Math.abs(fitted.selectionF1ByN['2.5']! - 2 / 3) < 1e-12);
    assert.equal(fitted.selectionF1ByN['3'], 0);
    assert.equal(fitted.n, 2);
    // window 4: only b has a span, so a ranks last although it has the lower index
    assert.deepEqual(model.rank(ds, [4])[0], [1, 0]);
  });

  it('keeps the default n when the selection windows cannot choose (no faulty window)', () => {
    const ds = latencyDataset([[[9, 11, 0], [9, 11, 0]], [[20, 0, 0], [0, 0, 0]]], [-1, -1]);
    const model = new NSigma();
    model.fit({ ds, train: [0], select: [1], seed: 0 });
    assert.equal((model.fitted() as { n: number }).n, nSigmaDefaults.defaultN);
  });

  it('refuses latency normalised at build time, naming the setting', () => {
    const ds = latencyDataset([[[1, 2, 3], [1, 2, 3]]], [-1], 'reference-per-run');
    assert.throws(() => fitNSigmaStats(ds, [0]), (e: Error) => /field: pipeline\.normalization/.test(e.message) && /found: reference-per-run/.test(e.message));
  });

  it('runs as a harness method: selects on validation, or on test when the protocol selects there', async () => {
    const normal = [[9, 11, 0], [9, 11, 0]];
    const lat = [normal, normal, [[12.2, 0, 0], [0, 0, 0]], [[0, 0, 0], [12.1, 0, 0]], [[30, 0, 0], [0, 0, 0]], [[10, 0, 0], [0, 0, 0]]];
    const ds = latencyDataset(lat, [-1, -1, 0, -1, 0, -1]);
    const method = baselineMethod('n-sigma', 'test', () => {
      const m = new NSigma();
      return { detector: m, localizer: m };
    });
    const split = (modelSelection: 'validation' | 'test'): ProtocolSplit =>
      ({ train: [0, 1], val: [2, 3], test: [4, 5], protocol: 'temporal', params: {}, modelSelection, fold: null, purged: 0 }) as unknown as ProtocolSplit;
    const ctx = { seed: 0, workDir: '/nonexistent', method: { name: 'n-sigma' }, progress: () => undefined };
    const r = await method.fitAndEvaluate(ds, split('validation'), ctx);
    assert.deepEqual(r.windows, [4, 5]);
    assert.deepEqual(r.predictedAnomalous, [true, false]); // z 20 and 0 against n = 2 (chosen on validation)
    assert.deepEqual(r.ranking, [[0, 1], [0, 1]]);
    assert.equal((r.info as { selectedOn: string }).selectedOn, 'validation');
    assert.equal(((r.info as { detector: { n: number } }).detector).n, 2);
    const onTest = await method.fitAndEvaluate(ds, split('test'), ctx);
    assert.equal((onTest.info as { selectedOn: string }).selectedOn, 'test');
  });
});
