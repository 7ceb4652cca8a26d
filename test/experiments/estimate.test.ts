import { strict as assert } from 'node:assert';
import { defineExperiment } from '../../src/experiments/config.js';
import { describeEstimate, estimateDefaults, estimateGrid, estimateRun, formatDuration, testbedWindowCount, type EstimateBasis } from '../../src/experiments/estimate.js';
import { expandGrid } from '../../src/experiments/grid.js';
import { reproduceDefaults, reproduceExperiment } from '../../src/experiments/reproduce.js';

const basis: EstimateBasis = {
  file: 'bench.json',
  backend: 'wasm',
  measuredAt: '2026-12-07',
  commit: 'abc1234def',
  runs: [
    { method: 'eadro', system: 'TT', protocol: 'temporal', seconds: 100 },
    { method: 'eadro', system: 'TT', protocol: 'reference-random', seconds: 300 },
    { method: 'n-sigma', system: 'SN', protocol: 'temporal', seconds: 2 },
  ],
};

const runsOf = (methods: object[], profile: string, stride = 3, protocols = ['temporal']) => expandGrid(defineExperiment({
  name: 'est',
  datasets: [{ kind: 'testbed', system: 'TT', profile, seed: 0 }, { kind: 'testbed', system: 'SN', profile, seed: 0 }],
  pipeline: { stride },
  methods: methods as never,
  protocols: protocols.map((name) => ({ name })) as never,
  seeds: [0],
}));

describe('experiments/estimate', () => {
  it('restates the measured form of the main job exactly', () => {
    assert.equal(estimateDefaults.measured.profile, reproduceDefaults.quick.profile);
    assert.equal(estimateDefaults.measured.stride, reproduceDefaults.quick.pipeline['stride']);
    assert.equal(estimateDefaults.measured.maxEpochs['eadro'], reproduceDefaults.quick.eadroParams.maxEpochs);
    assert.equal(estimateDefaults.measured.maxEpochs['ms-lstm'], reproduceDefaults.quick.msDeepParams['maxEpochs']);
    assert.equal(estimateDefaults.measured.maxEpochs['trace-anomaly'], reproduceDefaults.quick.traceDetectorParams['trace-anomaly']!['maxEpochs']);
  });

  it('counts the windows the builder cuts from a testbed schedule (known counts of the main job and the bench)', () => {
    // testbed 1.4: quick injects 5 fault types (was 3: 4620 TT and 1542 SN windows, the main job's report).
    assert.equal(testbedWindowCount('TT', 'quick', 0, 2), 7700);
    assert.equal(testbedWindowCount('SN', 'quick', 0, 2), 2572);
    assert.equal(testbedWindowCount('TT', 'quick', 0, 3), 5125); // the main job's stride
    assert.equal(testbedWindowCount('SN', 'quick', 0, 3), 1713);
    assert.equal(testbedWindowCount('SN', 'paper', 0, 1), 15279); // results/bench/windows-sn.json
    assert.equal(testbedWindowCount('SN', 'tiny', 0, 1), 873);
  });

  it('scales measured seconds by windows and epochs; says why where it cannot', () => {
    const [tt] = runsOf([{ name: 'eadro', params: { maxEpochs: 20 } }], 'quick');
    assert.deepEqual(estimateRun(tt!, basis, 'wasm'), { seconds: 100, basis: '100 s measured x 1.00 windows' });
    const [paper] = runsOf([{ name: 'eadro' }], 'paper', 1);
    const e = estimateRun(paper!, basis, 'wasm');
    // 143,802 windows at stride 1 against 5,125; 50 epochs (eadroDefaults) against 20.
    assert.ok(Math.abs(e.seconds! - 100 * (testbedWindowCount('TT', 'paper', 0, 1) / 5125) * 2.5) < 1e-6, e.basis);
    assert.match(e.basis, /x 28\.06 windows x 2\.50 epochs/);
    const [, snEadro] = runsOf([{ name: 'eadro' }], 'quick');
    assert.match(estimateRun(snEadro!, basis, 'wasm').basis, /no measured run of eadro on SN/);
    assert.match(estimateRun(tt!, basis, 'tensorflow-gpu').basis, /no main-job benchmark on the tensorflow-gpu backend/);
    assert.match(estimateRun(tt!, null, 'wasm').basis, /no benchmark file/);
    const [other] = runsOf([{ name: 'eadro', params: { maxEpochs: 20 } }], 'quick', 3, ['episode-disjoint']);
    assert.match(estimateRun(other!, basis, 'wasm').basis, /measured under temporal, reference-random/);
    assert.equal(estimateRun(other!, basis, 'wasm').seconds, 200, 'mean of the protocols measured');
  });

  it('sums a grid per backend, and the full reproduction comes out as days on wasm', () => {
    const runs = runsOf([{ name: 'eadro', params: { maxEpochs: 20 } }, { name: 'n-sigma' }], 'quick');
    const g = estimateGrid(runs, basis, 'wasm');
    assert.equal(g.estimated, 2);
    assert.equal(g.unknown, 2);
    assert.ok(Math.abs(g.runSeconds - 102) < 1e-9);
    assert.equal(g.longestRunSeconds, 100);
    const lines = describeEstimate(runs, basis, 2);
    assert.match(lines[0]!, /^wasm: 2 min of runs \(2 runs\), about 51 s on 2 process\(es\), longest run 2 min \(the wall time with a CPU per run, e.g. SLURM\); 2 run\(s\) without an estimate/);
    assert.match(lines.find((l) => l.startsWith('tensorflow-gpu'))!, /no estimate \(no main-job benchmark on the tensorflow-gpu backend yet\)/);
    const full = estimateGrid(expandGrid(reproduceExperiment('full')), { ...basis, runs: [{ method: 'eadro', system: 'TT', protocol: 'temporal', seconds: 120 }] }, 'wasm');
    assert.ok(full.runSeconds > 86400, formatDuration(full.runSeconds));
    assert.equal(formatDuration(30), '30 s');
    assert.equal(formatDuration(3600 * 5 + 60 * 7), '5 h 7 min');
    assert.equal(formatDuration(86400 * 3), '3.0 days');
  });
});
