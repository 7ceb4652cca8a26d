/**
 * The pure parts of the speed benchmarks (src/experiments/speed-bench.ts): finding a Python with torch
 * and the message when none has it, reading the port's `time --epochs` result, medians and ranges of
 * interleaved rounds, the ratio table, and the scaling fit. Small generated numbers only: no timing.
 */
import { strict as assert } from 'node:assert';
import { vsPytorchArgs } from '../../src/cli/commands/bench.js';
import {
  findTorchPython,
  loadNote,
  parseTorchTiming,
  ratioRows,
  ratioTableMarkdown,
  scalingFits,
  scalingMarkdown,
  spread,
  torchMissingMessage,
  vsPytorchMarkdown,
  type RoundSample,
  type ScalingPoint,
} from '../../src/experiments/speed-bench.js';

/** A `time --epochs` RESULT.json as eadro_reference.py writes it (fields the bench reads). */
function portResult(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 'eadro-ts-pytorch-result/1',
    mode: 'time-epochs',
    threads: 1,
    environment: { torch: '1.13.0a0', numpy: '1.24.2' },
    split: { train: 900, inferPart: 'test', infer: 400 },
    model: { variant: 'paper', selfLoops: 'every-node', edges: 42, parameters: 1000 },
    timings: { trainWindowsPerSecond: 650.5, trainWindowsPerCpuSecond: 700, inferenceMicrosecondsPerWindow: 120, inferenceCpuMicrosecondsPerWindow: 110, inferenceMicrosecondsPerWindowRuns: [130, 120, 118] },
    ...over,
  };
}

/** A round; CPU figures (unless given) as if the process had a core to itself 90 % of the wall time. */
function sample(side: 'ours' | 'torch', round: number, train: number, infer: number, variant = 'paper', threads = 1, cpu?: { train: number; infer: number }): RoundSample {
  return { system: 'SN', N: 12, variant, threads, side, round, trainWindowsPerSecond: train, inferMicrosecondsPerWindow: infer, trainWindowsPerCpuSecond: cpu?.train ?? train / 0.9, inferCpuMicrosecondsPerWindow: cpu?.infer ?? infer * 0.9 };
}

describe('speed-bench (vs PyTorch and scaling, pure parts)', () => {
  it('finds the first Python that imports torch, and only $EADRO_PYTHON when set', () => {
    const asked: string[] = [];
    const probe = (p: string) => {
      asked.push(p);
      return p === '/usr/bin/python3' ? { python: p, torchVersion: '1.13.0a0', numpyVersion: '1.24.2' } : null;
    };
    const r = findTorchPython({}, probe, ['python3', '/usr/bin/python3']);
    assert.equal(r.found?.python, '/usr/bin/python3');
    assert.deepEqual(asked, ['python3', '/usr/bin/python3']);
    const chosen = findTorchPython({ EADRO_PYTHON: '/opt/py/bin/python' }, probe, ['python3', '/usr/bin/python3']);
    assert.equal(chosen.found, null);
    assert.deepEqual(chosen.tried, ['/opt/py/bin/python']);
  });

  it('without torch the message names the package, how to install it, and that nothing was written', () => {
    const m = torchMissingMessage(['python3', '/usr/bin/python3']);
    assert.match(m, /python3, \/usr\/bin\/python3/);
    assert.match(m, /apt-get install -y python3-torch/);
    assert.match(m, /setup-system\.sh torch/);
    assert.match(m, /EADRO_PYTHON/);
    assert.match(m, /Nothing was written/);
  });

  it('reads the port\'s time --epochs result and names a bad field', () => {
    const t = parseTorchTiming(portResult(), 'r.json');
    assert.equal(t.trainWindowsPerSecond, 650.5);
    assert.equal(t.inferMicrosecondsPerWindow, 120);
    assert.deepEqual(t.inferMicrosecondsPerWindowRuns, [130, 120, 118]);
    assert.equal(t.trainWindowsPerCpuSecond, 700);
    assert.equal(t.inferCpuMicrosecondsPerWindow, 110);
    assert.equal(t.torchVersion, '1.13.0a0');
    assert.equal(t.edges, 42);
    assert.equal(t.trainWindows, 900);
    assert.throws(() => parseTorchTiming(portResult({ mode: 'time' }), 'r.json'), /file: r\.json[\s\S]*field: mode/);
    assert.throws(() => parseTorchTiming(portResult({ timings: { trainWindowsPerSecond: null, inferenceMicrosecondsPerWindow: 1, inferenceMicrosecondsPerWindowRuns: [1] } }), 'r.json'), /field: timings\.trainWindowsPerSecond/);
    assert.throws(() => parseTorchTiming(portResult({ timings: { trainWindowsPerSecond: 1, inferenceMicrosecondsPerWindow: 1, inferenceMicrosecondsPerWindowRuns: [] } }), 'r.json'), /inferenceMicrosecondsPerWindowRuns/);
    assert.throws(() => parseTorchTiming([], 'r.json'), /field: \(root\)/);
  });

  it('medians and ranges of rounds', () => {
    assert.deepEqual(spread([3, 1, 2, 10]), { median: 2.5, min: 1, max: 10, n: 4 });
    assert.equal(spread([]).n, 0);
    assert.ok(Number.isNaN(spread([Number.NaN]).median));
  });

  it('ratio rows: median(ours)/median(torch), ranges of per-round ratios, the paper one-thread target', () => {
    const samples = [
      sample('ours', 1, 800, 100), sample('torch', 1, 400, 200),
      sample('ours', 2, 600, 150), sample('torch', 2, 600, 100),
      sample('ours', 3, 700, 120), sample('torch', 3, 500, 150),
      sample('ours', 1, 300, 50, 'reference'), sample('torch', 1, 600, 25, 'reference'),
      sample('ours', 1, 500, 300, 'paper', 2), sample('torch', 1, 400, 100, 'paper', 2),
    ];
    const rows = ratioRows(samples);
    assert.equal(rows.length, 3);
    const [paper, reference, twoThreads] = rows;
    assert.equal(paper!.ours.trainWindowsPerSecond.median, 700);
    assert.equal(paper!.torch.trainWindowsPerSecond.median, 500);
    assert.equal(paper!.trainRatio.median, 700 / 500);
    assert.equal(paper!.trainRatio.min, 1); // round 2: 600/600
    assert.equal(paper!.trainRatio.max, 2); // round 1: 800/400
    assert.equal(paper!.inferRatio.median, 120 / 150);
    assert.equal(paper!.inferRatio.min, 0.5);
    assert.equal(paper!.inferRatio.max, 1.5);
    assert.equal(paper!.target, 'met');
    assert.equal(reference!.trainRatio.median, 0.5);
    assert.equal(reference!.target, null); // the target is the paper variant's
    assert.equal(twoThreads!.target, null); // ... at one thread
    const slow = ratioRows([sample('ours', 1, 400, 100), sample('torch', 1, 500, 100)]);
    assert.equal(slow[0]!.target, 'not met');
    // CPU time judged on its own: here ours waited for a core (wall slower) but used less CPU
    const waited = ratioRows([sample('ours', 1, 400, 100, 'paper', 1, { train: 900, infer: 40 }), sample('torch', 1, 500, 100, 'paper', 1, { train: 600, infer: 80 })]);
    assert.equal(waited[0]!.target, 'not met');
    assert.equal(waited[0]!.cpu.trainRatio.median, 1.5);
    assert.equal(waited[0]!.cpu.inferRatio.median, 0.5);
    assert.equal(waited[0]!.cpu.target, 'met');
    assert.match(ratioTableMarkdown(waited, 'cpu'), /w\/CPU-s[\s\S]*\| 900 \(900-900\) \| 600 \(600-600\) \| \*\*1\.50\*\*/);
    const md = ratioTableMarkdown(rows);
    assert.match(md, /\| SN \| 12 \| paper \| 1 \| 700 \(600-800\) \| 500 \(400-600\) \| \*\*1\.40\*\* \(1\.00-2\.00\) \| 120 \(100-150\) \| 150 \(100-200\) \| \*\*0\.80\*\* \(0\.50-1\.50\) \| met \|/);
    assert.equal(md.split('\n').length, 2 + 3);
  });

  it('the Markdown has both tables, the warm-up, the load and the datasets', () => {
    const rows = ratioRows([sample('ours', 1, 800, 100), sample('torch', 1, 400, 200)]);
    const md = vsPytorchMarkdown({
      startedAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:05:00Z', loadAverageStart: [2, 3, 4], loadAverageEnd: [1.5, 2.5, 3.5],
      settings: { rounds: 3, epochsPerRound: 1, warmupEpochs: 1, threads: [1] }, rows,
      datasets: [{ system: 'SN', variant: 'paper', threads: 1, windows: 90, train: 50, test: 20, edges: 23, selfLoops: 'every-node', sourceChecksum: 'abcdef0123456789' }],
      backend: { name: 'wasm' }, torch: { python: '/usr/bin/python3', torch: '1.13.0a0' }, machine: { cpuModel: 'cpu', cpuCount: 2 }, code: { commit: 'abc', dirty: true },
    });
    assert.match(md, /3 interleaved rounds[\s\S]*3 steps and 1 full epoch/);
    assert.match(md, /## Wall clock[\s\S]*\*\*2\.00\*\*[\s\S]*## CPU time[\s\S]*w\/CPU-s/);
    assert.match(md, /at start 2\.00 \/ 3\.00 \/ 4\.00, at end 1\.50 \/ 2\.50 \/ 3\.50[\s\S]*quiet-machine rerun may differ/);
    assert.match(md, /SN paper: 90 windows \(50 train, 20 test\), 23 GAT edges \(selfLoops every-node\), raw checksum abcdef012345/);
  });

  it('a torch round missing from a pair leaves that round out of the ratio range', () => {
    const rows = ratioRows([sample('ours', 1, 800, 100), sample('torch', 1, 400, 100), sample('ours', 2, 100, 100)]);
    assert.equal(rows[0]!.trainRatio.n, 1);
    assert.equal(rows[0]!.trainRatio.min, 2);
    assert.equal(rows[0]!.ours.trainWindowsPerSecond.median, 450);
  });

  it('scaling: a cost proportional to services + edges grows no faster; a quadratic one does', () => {
    const sizes = [12, 27, 46, 64];
    const points: ScalingPoint[] = [];
    for (const N of sizes) {
      const s = N + 2 * N - 1; // N services, N - 1 tree edges + N self-loops
      points.push({ variant: 'linear', N, edges: 2 * N - 1, trainMicrosecondsPerWindow: 10 * s, inferMicrosecondsPerWindow: 100 + 2 * s });
      points.push({ variant: 'quadratic', N, edges: 2 * N - 1, trainMicrosecondsPerWindow: s * s, inferMicrosecondsPerWindow: 3 * s });
    }
    const fits = scalingFits(points);
    const get = (variant: string, cost: 'train' | 'infer') => fits.find((f) => f.variant === variant && f.cost === cost)!;
    assert.ok(Math.abs(get('linear', 'train').slope - 10) < 1e-9);
    assert.ok(Math.abs(get('linear', 'train').intercept) < 1e-6);
    assert.ok(Math.abs(get('linear', 'train').logLogExponent - 1) < 1e-9);
    assert.equal(get('linear', 'train').noFasterThanSize, true);
    assert.ok(get('linear', 'infer').growthRatio < 1); // a fixed part makes it grow slower
    assert.equal(get('linear', 'infer').noFasterThanSize, true);
    assert.ok(Math.abs(get('quadratic', 'train').logLogExponent - 2) < 1e-9);
    assert.equal(get('quadratic', 'train').noFasterThanSize, false);
    const md = scalingMarkdown(points, fits);
    assert.match(md, /\| linear \| 64 \| 127 \| 191 \| 1,910 \| 482 \|/);
    assert.match(md, /\| quadratic \| train \| .* \| 2\.00 \| .* \| no \|/);
  });

  it('eadro bench passes only the vs-pytorch flags given', () => {
    assert.deepEqual(vsPytorchArgs({}), []);
    assert.deepEqual(vsPytorchArgs({ systems: 'sn,tt', rounds: 3, threads: '1,2', epochsPerRound: 1 }), ['--systems', 'sn,tt', '--rounds', '3', '--threads', '1,2', '--epochs-per-round', '1']);
  });

  it('says other work shared the machine only when the load at the start shows it', () => {
    assert.match(loadNote(2.3), /other work shared the machine/);
    assert.match(loadNote(0.2), /nothing else ran at the start/);
  });
});
