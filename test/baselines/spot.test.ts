/** SPOT (baselines.md §3.1): Grimshaw GPD fit, the threshold, streaming, the window detector and its harness method. */
import { strict as assert } from 'node:assert';
import {
  Spot,
  SpotDetector,
  fitGpd,
  gpdLogLikelihood,
  spotCalibrationValues,
  spotDefaults,
  spotInitialThreshold,
  spotOptionsFromParams,
  spotQuantile,
  spotThreshold,
} from '../../src/baselines/spot.js';
import { createRng } from '../../src/core/rng.js';
import { getMethod } from '../../src/experiments/registry.js';
import type { ProtocolSplit } from '../../src/evaluation/protocols.js';
import type { WindowDataset } from '../../src/windows/types.js';

/** n draws of GPD(γ, σ) by the inverse CDF: Y = (σ/γ)((1 − U)^(−γ) − 1). */
function gpdSample(seed: number, n: number, gamma: number, sigma: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => (sigma / gamma) * (Math.pow(1 - rng.next(), -gamma) - 1));
}

/** One recording: per-service latency per second (ms, 0 = no span), and its windows. */
interface RunSpec {
  id: string;
  /** [N][seconds] */
  series: number[][];
  /** Window starts, in seconds from the run's start. */
  starts: number[];
  /** Label of each window (-1 normal, else culprit). */
  labels: number[];
}

/** A WindowDataset with N = series.length services and windows of T seconds cut from each run's series. */
function dataset(runs: RunSpec[], T: number, normalization: WindowDataset['normalization'] = 'none'): { ds: WindowDataset; windowsOf: Record<string, number[]> } {
  const N = (runs[0] as RunSpec).series.length;
  const traces: number[] = [];
  const labels: number[] = [];
  const start: number[] = [];
  const runId: string[] = [];
  const windowsOf: Record<string, number[]> = {};
  runs.forEach((run, r) => {
    windowsOf[run.id] = [];
    run.starts.forEach((s, i) => {
      (windowsOf[run.id] as number[]).push(labels.length);
      for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) traces.push((run.series[n] as number[])[s + t] ?? 0);
      labels.push(run.labels[i] as number);
      start.push(1_700_000_000 + 100_000 * r + s); // unix seconds
      runId.push(run.id);
    });
  });
  const W = labels.length;
  const ds: WindowDataset = {
    nodes: Array.from({ length: N }, (_, n) => `svc${n}`),
    edges: [[], []],
    edgeDirection: 'callee->caller',
    T,
    metricNames: [],
    eventNum: 0,
    W,
    logs: new Float32Array(0),
    metrics: new Float32Array(0),
    traces: Float32Array.from(traces),
    labels: Int32Array.from(labels),
    meta: {
      start: Float64Array.from(start),
      runId,
      episodeId: Int32Array.from(labels.map(() => 0)),
      faultType: labels.map((l) => (l >= 0 ? 'network_delay' : '')),
      episodeService: labels.map(() => 'svc0'),
    },
    normalization,
  };
  return { ds, windowsOf };
}

/** float32 round trip: the values the dataset actually holds. */
const f32 = (x: number): number => Math.fround(x);

/**
 * Training run: service 0 has 10 + Exp(mean 5) ms in every second but every 7th (no span); service 1
 * has spans in two seconds only (too few for a fit). Windows of T = 3 at stride 2 overlap by a second.
 */
function trainingRun(seconds: number): { run: RunSpec; expected0: number[] } {
  const rng = createRng('spot-train');
  const s0 = Array.from({ length: seconds }, (_, i) => (i % 7 === 3 ? 0 : f32(10 + rng.exponential(1 / 5))));
  const s1 = Array.from({ length: seconds }, (_, i) => (i === 5 || i === 6 ? 4 : 0));
  const starts: number[] = [];
  for (let s = 0; s + 3 <= seconds; s += 2) starts.push(s);
  const covered = starts.length > 0 ? (starts[starts.length - 1] as number) + 3 : 0;
  return { run: { id: 'train', series: [s0, s1], starts, labels: starts.map(() => -1) }, expected0: s0.slice(0, covered).filter((v) => v > 0) };
}

const train = trainingRun(601); // 300 windows, 601 seconds covered once each

describe('baselines/spot', () => {
  describe('fitGpd (Grimshaw MLE)', () => {
    it('gives the exponential log-likelihood by hand, with and without the reference bug', () => {
      const peaks = [1, 2, 3]; // mean 2
      const correct = -3 * (1 + Math.log(2));
      assert.ok(Math.abs(gpdLogLikelihood(peaks, 0, 2) - correct) < 1e-12);
      assert.ok(Math.abs(gpdLogLikelihood(peaks, 0, 2, true) + correct) < 1e-12); // n(1 + log mean) = −correct
      // γ = 0.5, σ = 2: −3 log 2 − 3·Σ log(1 + Y/4) = −3 log 2 − 3 log(1.25·1.5·1.75)
      assert.ok(Math.abs(gpdLogLikelihood(peaks, 0.5, 2) - (-3 * Math.log(2) - 3 * Math.log(1.25 * 1.5 * 1.75))) < 1e-12);
      // outside the support (1 + γY/σ ≤ 0): impossible
      assert.equal(gpdLogLikelihood(peaks, -1, 2), Number.NEGATIVE_INFINITY);
    });

    it('fits exponential peaks with γ near 0 and σ near the scale', () => {
      const rng = createRng('exp-peaks');
      const peaks = Array.from({ length: 5000 }, () => rng.exponential(1 / 20)); // scale 20 ms
      const fit = fitGpd(peaks);
      // MLE standard errors at γ = 0: sd(γ) ≈ 1/√n = 0.014, sd(σ)/σ ≈ √(2/n) = 0.020; 4 sd allowed.
      assert.ok(Math.abs(fit.gamma) < 4 / Math.sqrt(5000), `gamma ${fit.gamma}`);
      assert.ok(Math.abs(fit.sigma / 20 - 1) < 4 * Math.sqrt(2 / 5000), `sigma ${fit.sigma}`);
      assert.ok(Math.abs(fit.logLikelihood - gpdLogLikelihood(peaks, fit.gamma, fit.sigma)) < 1e-9);
      const mean = peaks.reduce((a, b) => a + b, 0) / peaks.length;
      assert.ok(fit.logLikelihood >= gpdLogLikelihood(peaks, 0, mean));
    });

    it('recovers γ = 0.2 and γ = -0.2 from GPD samples (within 4 asymptotic standard errors)', () => {
      for (const [gamma, n, seed] of [[0.2, 5000, 1], [-0.2, 3000, 2]] as const) {
        const peaks = gpdSample(seed, n, gamma, 1);
        const fit = fitGpd(peaks);
        // MLE asymptotics (Smith 1985, γ > −1/2): sd(γ) = (1 + γ)/√n, sd(σ)/σ = √(2(1 + γ)/n).
        assert.ok(Math.abs(fit.gamma - gamma) < (4 * (1 + gamma)) / Math.sqrt(n), `γ ${gamma}: fitted ${fit.gamma}`);
        assert.ok(Math.abs(fit.sigma - 1) < 4 * Math.sqrt((2 * (1 + gamma)) / n), `γ ${gamma}: σ ${fit.sigma}`);
        // The maximum found is at least the likelihood of the true parameters and of the exponential.
        assert.ok(fit.logLikelihood >= gpdLogLikelihood(peaks, gamma, 1));
        assert.ok(fit.logLikelihood > gpdLogLikelihood(peaks, 0, peaks.reduce((a, b) => a + b, 0) / n));
        assert.ok(fit.roots >= 1);
      }
    });

    it("reproduces the reference's choices behind flags: γ = 0 under the log-likelihood bug, no heavy tail in its bracket", () => {
      const peaks = gpdSample(3, 2000, 0.2, 5); // mean ≈ 6.25 > 1/e: the buggy +n(1 + log mean) beats every real fit
      const correct = fitGpd(peaks);
      assert.ok(correct.gamma > 0.1);
      const buggy = fitGpd(peaks, { referenceGammaZeroBug: true });
      assert.equal(buggy.gamma, 0);
      const mean = peaks.reduce((a, b) => a + b, 0) / peaks.length;
      assert.ok(Math.abs(buggy.logLikelihood - 2000 * (1 + Math.log(mean))) < 1e-9);
      assert.equal(buggy.sigma, mean);
      // The reference's right bracket starts far above the heavy tail's root: it cannot find γ > 0.
      const referenceBracket = fitGpd(peaks, { referenceRightBracket: true });
      assert.ok(referenceBracket.gamma <= 0);
      assert.ok(referenceBracket.logLikelihood < correct.logLikelihood);
    });

    it('falls back on the exponential for equal peaks and refuses non-positive peaks', () => {
      const fit = fitGpd([2, 2, 2, 2]);
      assert.equal(fit.gamma, 0);
      assert.equal(fit.sigma, 2);
      assert.throws(() => fitGpd([]), /field: peaks/);
      assert.throws(() => fitGpd([1, 0, 2]), (e: Error) => /field: peaks\[1\]/.test(e.message) && /found: 0/.test(e.message));
    });
  });

  describe('threshold', () => {
    it('takes t = S[floor(level·n)] and computes z_q by hand', () => {
      const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
      const init = spotInitialThreshold(values, 0.9);
      assert.equal(init.initialThreshold, 91); // sorted[90]
      assert.deepEqual([...init.peaks].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // r = q·n/N_t = 0.01·100/9 = 1/9; γ = 0.5, σ = 2: z = 91 + 4·(9^0.5 − 1) = 99
      assert.ok(Math.abs(spotQuantile({ initialThreshold: 91, gamma: 0.5, sigma: 2, q: 0.01, n: 100, peakCount: 9 }) - 99) < 1e-12);
      // γ = 0: z = 91 − 2·log(1/9) = 91 + 2 log 9
      assert.ok(Math.abs(spotQuantile({ initialThreshold: 91, gamma: 0, sigma: 2, q: 0.01, n: 100, peakCount: 9 }) - (91 + 2 * Math.log(9))) < 1e-12);
      const cal = spotThreshold(values, { level: 0.9, q: 0.01 });
      assert.equal(cal.settings.q, 0.01);
      assert.equal(cal.settings.level, 0.9);
      assert.equal(cal.n, 100);
      assert.equal(cal.initialThreshold, 91);
      assert.deepEqual([...cal.peaks].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.ok(cal.threshold > 91);
    });

    it('uses q = 1e-4 by default and refuses a q with q·n ≥ N_t', () => {
      const rng = createRng('default-q');
      const values = Array.from({ length: 1000 }, () => rng.exponential(1));
      assert.equal(spotThreshold(values).settings.q, 1e-4);
      assert.throws(() => spotThreshold(values, { q: 0.5 }), (e: Error) => /field: q/.test(e.message) && /q < N_t\/n/.test(e.message));
    });
  });

  describe('Spot (streaming)', () => {
    const rng = createRng('stream');
    const calibration = spotThreshold(Array.from({ length: 2000 }, () => rng.exponential(1 / 10)), { q: 1e-3 });

    it('alarms above z_q without adding the value; a peak above t refits; below t only counts', () => {
      const spot = new Spot(calibration);
      const t = calibration.initialThreshold;
      const z0 = calibration.threshold;
      assert.ok(z0 > t);

      const alarm = spot.step(2 * z0);
      assert.deepEqual(alarm, { kind: 'alarm', threshold: z0 });
      assert.equal(spot.state().peaks.length, calibration.peaks.length);
      assert.equal(spot.state().n, calibration.n);
      assert.equal(spot.threshold, z0);

      const x = (t + z0) / 2;
      const peak = spot.step(x);
      assert.deepEqual(peak, { kind: 'peak', threshold: z0 });
      const after = spot.state();
      assert.equal(after.peaks.length, calibration.peaks.length + 1);
      assert.equal(after.peaks[after.peaks.length - 1], x - t);
      assert.equal(after.n, calibration.n + 1);
      const refit = fitGpd(after.peaks);
      assert.equal(after.gamma, refit.gamma);
      assert.equal(after.sigma, refit.sigma);
      const z1 = spotQuantile({ initialThreshold: t, gamma: refit.gamma, sigma: refit.sigma, q: 1e-3, n: after.n, peakCount: after.peaks.length });
      assert.equal(spot.threshold, z1);
      assert.notEqual(z1, z0);

      const normal = spot.step(t / 2);
      assert.deepEqual(normal, { kind: 'normal', threshold: z1 });
      assert.equal(spot.state().n, calibration.n + 2);
      assert.equal(spot.state().peaks.length, calibration.peaks.length + 1);
      assert.equal(spot.threshold, z1); // only n moves; z_q is recomputed at the next peak

      // The calibration a stream starts from is not changed by the stream.
      assert.equal(calibration.peaks.length, after.peaks.length - 1);
      assert.equal(calibration.n, after.n - 1);
    });
  });

  describe('SpotDetector', () => {

    it('calibrates each service on the non-padded seconds of training-normal windows, each second once', () => {
      const faultyRun: RunSpec = { id: 'faulty', series: [[900, 900, 900], [900, 900, 900]], starts: [0], labels: [0] };
      const { ds, windowsOf } = dataset([train.run, faultyRun], 3);
      const values = spotCalibrationValues(ds, [...(windowsOf['train'] as number[]), ...(windowsOf['faulty'] as number[])]);
      assert.deepEqual([...(values[0] as number[])].sort((a, b) => a - b), [...train.expected0].sort((a, b) => a - b));
      assert.deepEqual(values[1], [4, 4]);

      const detector = new SpotDetector({ streaming: false });
      detector.fit({ ds, train: [...(windowsOf['train'] as number[]), ...(windowsOf['faulty'] as number[])], select: [], seed: 0 });
      const fitted = detector.fitted() as {
        q: number;
        servicesFitted: number;
        servicesSkipped: number;
        skipped: Record<string, string>;
        services: Record<string, { thresholdMs: number; seconds: number; gamma: number }>;
        selectionF1ByQ: Record<string, unknown>;
      };
      assert.equal(fitted.servicesFitted, 1);
      assert.equal(fitted.servicesSkipped, 1);
      assert.match(fitted.skipped['svc1'] as string, /0 peaks above t over 2 seconds \(needs 5\)/);
      const expected = spotThreshold(train.expected0);
      assert.equal(fitted.services['svc0']?.seconds, train.expected0.length);
      assert.ok(Math.abs((fitted.services['svc0']?.thresholdMs as number) - expected.threshold) < 1e-9);
      // No faulty selection window: the default q, every F1 undefined.
      assert.equal(fitted.q, spotDefaults.q);
      assert.deepEqual(fitted.selectionF1ByQ, { '0.0001': null, '0.001': null, '0.01': null });
    });

    it('flags a window when a service passes z_q; score = max slot / z_q; no span scores 0', () => {
      const z = spotThreshold(train.expected0).threshold;
      // Test run (T = 3, stride 2): window k covers seconds 2k..2k+2.
      const big = f32(3 * z);
      const s0 = [12, 0, 11, 13, big, 12, 0, 0, 0, 0, 0];
      const s1 = [4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0]; // the skipped service: never scored
      const test: RunSpec = { id: 'test', series: [s0, s1], starts: [0, 2, 4, 6], labels: [-1, -1, 0, -1] };
      const { ds, windowsOf } = dataset([train.run, test], 3);
      const detector = new SpotDetector({ streaming: false });
      detector.fit({ ds, train: windowsOf['train'] as number[], select: [], seed: 0 });
      const windows = windowsOf['test'] as number[];
      const out = detector.detect(ds, windows);
      // windows: [12, 0, 11] [11, 13, big] [big, 12, 0] [0, 0, 0]
      const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b));
      assert.ok(close(out.score[0] as number, 12 / z));
      assert.ok(close(out.score[1] as number, big / z) && close(out.score[2] as number, big / z));
      assert.ok((out.score[1] as number) > 1);
      assert.equal(out.score[3], spotDefaults.noSpanScore);
      assert.deepEqual(out.flagged, [false, true, true, false]);
      const stats = (detector.fitted() as { lastDetect: { seconds: number; values: number; alarms: number; runs: number; conflictingSlots: number } }).lastDetect;
      // 9 distinct seconds (0..8), the shared ones once; service 0 has 5 non-padded ones; 1 alarm (second 4).
      assert.deepEqual({ runs: stats.runs, seconds: stats.seconds, values: stats.values, alarms: stats.alarms, conflictingSlots: stats.conflictingSlots }, { runs: 1, seconds: 9, values: 5, alarms: 1, conflictingSlots: 0 });
    });

    it('streams the distinct seconds of each run in time order, refitting on non-alarm peaks', () => {
      const calibration = spotThreshold(train.expected0);
      const t = calibration.initialThreshold;
      const z = calibration.threshold;
      // Values between t and z (peaks that move the threshold), an alarm, and ordinary values.
      const mid = (k: number): number => f32(t + ((z - t) * k) / 10);
      const s0 = [f32(2 * z), 11, mid(5), 12, mid(6), mid(7), 12, 13, mid(8), 11, 12];
      const test: RunSpec = { id: 'test', series: [s0, s0.map(() => 0)], starts: [0, 2, 4, 6, 8], labels: [-1, -1, 0, -1, -1] };
      const { ds, windowsOf } = dataset([train.run, test], 3);
      const detector = new SpotDetector({ qCandidates: [spotDefaults.q] });
      detector.fit({ ds, train: windowsOf['train'] as number[], select: [], seed: 0 });
      const windows = [...(windowsOf['test'] as number[])].reverse(); // given out of time order
      const out = detector.detect(ds, windows);
      // By hand: one stream over seconds 0..10, each once.
      const spot = new Spot(calibration);
      const ratio = s0.map((x) => x / spot.step(x).threshold);
      const kinds = new Spot(calibration);
      const stepKinds = s0.map((x) => kinds.step(x).kind);
      assert.deepEqual(stepKinds, ['alarm', 'normal', 'peak', 'normal', 'peak', 'peak', 'normal', 'normal', 'peak', 'normal', 'normal']);
      windows.forEach((w, b) => {
        const k = (ds.meta.start[w] as number) - (ds.meta.start[windowsOf['test']![0]!] as number);
        const expected = Math.max(ratio[k]!, ratio[k + 1]!, ratio[k + 2]!);
        assert.ok(Math.abs((out.score[b] as number) - expected) < 1e-12, `window at second ${k}`);
        assert.equal(out.flagged[b], k === 0); // the alarm is at second 0
      });
      // The thresholds moved: the same window scored without updates differs.
      const fixed = new SpotDetector({ qCandidates: [spotDefaults.q], streaming: false });
      fixed.fit({ ds, train: windowsOf['train'] as number[], select: [], seed: 0 });
      const last = windows.indexOf(windowsOf['test']![4]!);
      assert.notEqual(fixed.detect(ds, windows).score[last], out.score[last]);
      const stats = (detector.fitted() as { lastDetect: { seconds: number; peaks: number; alarms: number } }).lastDetect;
      assert.deepEqual({ seconds: stats.seconds, peaks: stats.peaks, alarms: stats.alarms }, { seconds: 11, peaks: 4, alarms: 1 });
      // detect() starts every stream from the calibration: the same call gives the same answer.
      assert.deepEqual(detector.detect(ds, windows), out);
    });

    it('chooses q by F1 on the selection windows', () => {
      const zOf = (q: number): number => spotThreshold(train.expected0, { q }).threshold;
      const [z4, z3, z2] = [zOf(1e-4), zOf(1e-3), zOf(1e-2)] as [number, number, number];
      assert.ok(z2 < z3 && z3 < z4);
      const between = f32((z2 + z3) / 2); // alarms at q = 1e-2 only
      const select: RunSpec = { id: 'select', series: [[12, between, 12, 0, 11, 12], [0, 0, 0, 0, 0, 0]], starts: [0, 3], labels: [0, -1] };
      const { ds, windowsOf } = dataset([train.run, select], 3);
      const detector = new SpotDetector({ streaming: false });
      detector.fit({ ds, train: windowsOf['train'] as number[], select: windowsOf['select'] as number[], seed: 0 });
      const fitted = detector.fitted() as { q: number; selectionF1ByQ: Record<string, number | null> };
      assert.deepEqual(fitted.selectionF1ByQ, { '0.0001': 0, '0.001': 0, '0.01': 1 });
      assert.equal(fitted.q, 1e-2);
    });

    it('refuses latency normalised at build time, naming the setting', () => {
      const { ds, windowsOf } = dataset([train.run], 3, 'reference-per-run');
      assert.throws(
        () => new SpotDetector().fit({ ds, train: windowsOf['train'] as number[], select: [], seed: 0 }),
        (e: Error) => e.name === 'EadroError' && /SPOT needs raw latency/.test(e.message) && /field: pipeline\.normalization/.test(e.message) && /found: reference-per-run/.test(e.message),
      );
      const raw = dataset([train.run], 3).ds;
      assert.throws(() => new SpotDetector().detect(raw, [0]), /fit\(\) must run before detect\(\)/);
    });

    it('reads its options from method params and refuses unknown ones', () => {
      assert.deepEqual(spotOptionsFromParams({ q: 1e-3, streaming: false }), { defaultQ: 1e-3, qCandidates: [1e-3], streaming: false });
      assert.throws(() => spotOptionsFromParams({ n: 3 }), /field: method\.params\.n/);
      assert.throws(() => spotOptionsFromParams({ streaming: 'yes' }), (e: Error) => /method\.params\.streaming/.test(e.message) && /true or false/.test(e.message));
    });
  });

  it("runs as the registry's 'spot' harness method: selects on validation, records its settings", async () => {
    const calibration = spotThreshold(train.expected0);
    const z = calibration.threshold;
    const after: RunSpec = { id: 'after', series: [[12, 11, 0, 13, f32(2 * z), 12, 11, 12, 13, 12, 11, 12], new Array<number>(12).fill(0)], starts: [0, 3, 6, 9], labels: [-1, 0, -1, -1] };
    const { ds, windowsOf } = dataset([train.run, after], 3);
    const [v0, v1, t0, t1] = windowsOf['after'] as [number, number, number, number];
    const split = (modelSelection: 'validation' | 'test'): ProtocolSplit =>
      ({ train: windowsOf['train'], val: [v0, v1], test: [t0, t1], protocol: 'temporal', params: {}, modelSelection, fold: null, purged: 0 }) as unknown as ProtocolSplit;
    const method = await getMethod('spot');
    const ctx = (params: Record<string, unknown>) => ({ seed: 0, workDir: '/nonexistent', method: { name: 'spot', params }, progress: () => undefined });
    const r = await method.fitAndEvaluate(ds, split('validation'), ctx({}));
    assert.deepEqual(r.windows, [t0, t1]);
    assert.deepEqual(r.predictedAnomalous, [false, false]);
    assert.equal(r.ranking, null);
    assert.equal(r.anomalyScore?.length, 2);
    assert.ok((r.anomalyScore as number[]).every((s) => s > 0 && s < 1));
    const info = r.info as { selectedOn: string; detector: { q: number; selectionF1ByQ: Record<string, number> } };
    assert.equal(info.selectedOn, 'validation');
    // validation: the faulty window holds 2z, which every q flags, and the normal one nothing: F1 = 1 for all, default kept
    assert.deepEqual(info.detector.selectionF1ByQ, { '0.0001': 1, '0.001': 1, '0.01': 1 });
    assert.equal(info.detector.q, 1e-4);
    const fixedQ = await method.fitAndEvaluate(ds, split('test'), ctx({ q: 1e-3, streaming: false }));
    assert.equal((fixedQ.info as { selectedOn: string }).selectedOn, 'test');
    assert.equal((fixedQ.info as { detector: { q: number; streaming: string } }).detector.q, 1e-3);
    assert.match((fixedQ.info as { detector: { streaming: string } }).detector.streaming, /^off/);
    await assert.rejects(method.fitAndEvaluate(ds, split('validation'), ctx({ bogus: 1 })), /field: method\.params\.bogus/);
  });
});
