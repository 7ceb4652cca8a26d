/**
 * MultimodalTrace on generated traces with fixed call sequences: it learns the next span, so a trace
 * with a transition never seen in training is flagged by the label rule and a span 10x slower by the
 * latency rule, while fresh normal traces mostly pass; a seed reproduces it.
 */
import { strict as assert } from 'node:assert';
import { createRng } from '../../../src/core/rng.js';
import type { TraceSet } from '../../../src/features/trace-records.js';
import {
  disposeMultimodalTraceModel,
  fitLabelCoding,
  judgeTraces,
  multimodalTraceDefaults,
  spanSamples,
  trainMultimodalTrace,
  type MultimodalTraceConfig,
} from '../../../src/models/trace-detectors/multimodal-trace.js';
import { useTestBackend } from '../eadro/helpers.js';

/** Three request types, each a fixed label sequence; label l has mean latency 1,000·(l + 1) µs. */
const FLOWS = [
  [0, 1, 2, 3, 4],
  [0, 5, 6, 7],
  [0, 8, 9, 10, 11, 3],
];
const LABELS = 12;

/** Trace set of `traces` label sequences (latency factor per span optional). */
function makeSet(sequences: { labels: number[]; slow?: number[] }[], seed: number): TraceSet {
  const rng = createRng(seed);
  const spanLabel: number[] = [];
  const dur: number[] = [];
  const offsets = [0];
  for (const s of sequences) {
    s.labels.forEach((l, j) => {
      spanLabel.push(l);
      dur.push(1000 * (l + 1) * (1 + rng.normal(0, 0.05)) * (s.slow?.[j] ?? 1));
    });
    offsets.push(spanLabel.length);
  }
  return {
    labels: Array.from({ length: LABELS }, (_, i) => `svc${i}:op`),
    callPaths: Array.from({ length: LABELS }, (_, i) => `p${i}`),
    start: Float64Array.from(sequences, (_, i) => i),
    spanOffsets: Int32Array.from(offsets),
    spanLabel: Int32Array.from(spanLabel),
    spanPath: Int32Array.from(spanLabel),
    spanDurationUs: Float32Array.from(dur),
    spanError: new Uint8Array(spanLabel.length),
    windowOffsets: Int32Array.from([0, sequences.length]),
    windowTraces: Int32Array.from(sequences, (_, i) => i),
  };
}

const config: MultimodalTraceConfig = { ...multimodalTraceDefaults, hidden: 16, maxEpochs: 40, patience: 40, batchSize: 64, learningRate: 1e-2 };

describe('models/trace-detectors/multimodal-trace', function () {
  this.timeout(180_000);
  before(useTestBackend);

  it('builds next-span samples: left-padded history, per-label latency scaling, unseen labels coded apart', () => {
    const ts = makeSet([{ labels: [0, 1, 2] }, { labels: [0, 5] }, { labels: [7] }], 0);
    const coding = fitLabelCoding(ts, [0, 1]);
    assert.equal(coding.classes, 4 + 2, 'padding, the 4 training labels, unseen');
    assert.equal(coding.toModel[7], 5, 'label 7 is not in training: the unseen class');
    const s = spanSamples(ts, coding, [0, 1, 2], 3);
    assert.equal(s.count, 3, 'spans 1.. of each trace; a one-span trace has none');
    assert.deepEqual(Array.from(s.historyLabels.subarray(0, 3)), [0, 0, coding.toModel[0]]);
    assert.deepEqual(Array.from(s.historyLabels.subarray(3, 6)), [0, coding.toModel[0], coding.toModel[1]]);
    assert.deepEqual(Array.from(s.traceOf), [0, 0, 1]);
    assert.equal(s.historyLatency[0], 0, 'padding latency is 0');
  });

  it('flags an unseen transition (label rule) and a 10x slower span (latency rule); normal traces mostly pass', async () => {
    const rng = createRng(1);
    const train = makeSet(Array.from({ length: 240 }, () => ({ labels: FLOWS[rng.int(3)]! })), 2);
    const all = Array.from({ length: 240 }, (_, i) => i);
    const trained = await trainMultimodalTrace(train, all.slice(24), all.slice(0, 24), config, 0);
    try {
      assert.ok(trained.history[trained.history.length - 1]!.trainLoss < trained.history[0]!.trainLoss);
      const test = makeSet(
        [
          ...FLOWS.map((labels) => ({ labels })),
          ...FLOWS.map((labels) => ({ labels })),
          { labels: [0, 1, 2, 9, 4] }, // 2 -> 9 never happens in training
          { labels: [0, 5, 6, 7], slow: [1, 1, 10, 1] }, // span 2 ten times slower
        ],
        3,
      );
      const v = await judgeTraces(trained, test, [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.equal(v.anomalous[6], 1, 'unseen transition flagged');
      assert.equal(v.anomalous[7], 1, 'slow span flagged');
      const normalFlags = Array.from(v.anomalous.subarray(0, 6)).reduce((a, b) => a + b, 0);
      assert.ok(normalFlags <= 2, `${normalFlags} of 6 normal traces flagged (the latency band lets 5 % of normal spans out)`);
      assert.ok(v.labelMisses >= 1 && v.latencyMisses >= 1);
      assert.ok(v.score[6]! > 0 && v.score[7]! > 0);
    } finally {
      disposeMultimodalTraceModel(trained.model);
    }
  });

  it('a seed reproduces training and verdicts', async () => {
    const rng = createRng(5);
    const ts = makeSet(Array.from({ length: 60 }, () => ({ labels: FLOWS[rng.int(3)]! })), 6);
    const ids = Array.from({ length: 60 }, (_, i) => i);
    const run = async (): Promise<unknown> => {
      const t = await trainMultimodalTrace(ts, ids.slice(10), ids.slice(0, 10), { ...config, maxEpochs: 3 }, 4);
      const v = await judgeTraces(t, ts, ids);
      disposeMultimodalTraceModel(t.model);
      return { losses: t.history.map((h) => h.trainLoss), bounds: t.latencyBounds, score: Array.from(v.score) };
    };
    assert.deepEqual(await run(), await run());
  });

  it('refuses training traces that have nothing to predict', async () => {
    const ts = makeSet([{ labels: [0] }, { labels: [1] }], 0);
    await assert.rejects(trainMultimodalTrace(ts, [0, 1], [], config, 0), /single span/);
  });
});
