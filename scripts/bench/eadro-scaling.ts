/**
 * How Eadro's cost per window grows with the graph (issue 27: the graph size is the user's). Synthetic
 * windows (src/models/synthetic.ts: a random call tree of N services) at N = 12, 27 (SN and TT, for the
 * trend), 46 and 64, both variants, tfjs wasm, one thread, the training step trainEadro would run:
 * training cost (microseconds per window over full epochs at batch 256) and inference cost
 * (microseconds per window, batch 256), each the median over `--repeats` repeats, with the services
 * and GAT edges (self-loops as the variant's config says) of each size. Then, per variant and cost, a
 * least-squares line against s = services + edges and the verdict whether cost grows no faster than s
 * (src/experiments/speed-bench.ts scalingFits).
 *
 *   npx tsx scripts/bench/eadro-scaling.ts [--sizes 12,27,46,64] [--windows 1024] [--repeats 3]
 *     [--out results/bench/eadro-scaling.json]   (the Markdown goes beside it, `.md`)
 */
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { initBackend } from '../../src/core/backend.js';
import { writeFileAtomic, writeJsonAtomic } from '../../src/core/io.js';
import { codeVersion, machineInfo, packageVersions } from '../../src/core/manifest.js';
import { median } from '../../src/core/stats.js';
import { loadNote, scalingFits, scalingMarkdown, type ScalingPoint } from '../../src/experiments/speed-bench.js';
import { makeSyntheticWindows } from '../../src/models/synthetic.js';
import { createEadro, datasetDims, disposeBatch, disposeEadro, installFastWasmKernels, makeBatch, predictAsync, type EadroVariant } from '../../src/models/eadro/index.js';
import { Adam } from '../../src/models/eadro/adam.js';
import { chooseStep, trainStepAsync } from '../../src/models/eadro/step.js';

const scalingBenchDefaults = {
  sizes: [12, 27, 46, 64], // issue 27: N = 46 and 64, with SN's 12 and TT's 27 for the trend
  variants: ['paper', 'reference'] as EadroVariant[], // issue 27: both variants
  windows: 1024, // ours, as scripts/bench/eadro.ts: 4 batches of 256 per timed epoch
  batchSize: 256, // paper §V-C
  repeats: 3, // ours: timed epochs (and inference passes) per size; the median is reported
  warmupSteps: 3, // ours, as the PyTorch comparison: untimed steps first (JIT, buffers, heap growth)
  T: 10, // paper: 10 s windows
  K: 7, // paper §V-A: 7 KPIs
  E: 30, // ours, as scripts/bench/eadro.ts: within the issue's E ~ 20-40 (does not grow with N)
  seed: 2023, // as scripts/bench/eadro.ts
  out: 'results/bench/eadro-scaling.json',
};

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { sizes: { type: 'string' }, windows: { type: 'string' }, repeats: { type: 'string' }, out: { type: 'string' } }, strict: true });
  const sizes = (values.sizes ?? scalingBenchDefaults.sizes.join(',')).split(',').map(Number);
  const windows = Number(values.windows ?? scalingBenchDefaults.windows);
  const repeats = Number(values.repeats ?? scalingBenchDefaults.repeats);
  for (const n of [...sizes, windows, repeats]) if (!Number.isInteger(n) || n < 1) throw new Error(`--sizes/--windows/--repeats: "${n}" is not a positive integer`);
  const out = values.out ?? scalingBenchDefaults.out;
  const startedAt = new Date().toISOString();
  const loadStart = os.loadavg();
  const backend = await initBackend('wasm');
  installFastWasmKernels();
  const B = scalingBenchDefaults.batchSize;
  const points: (ScalingPoint & { trainRuns: number[]; inferRuns: number[]; step: string; selfLoops: string; parameters?: number })[] = [];
  for (const N of sizes) {
    const ds = makeSyntheticWindows({ N, T: scalingBenchDefaults.T, K: scalingBenchDefaults.K, E: scalingBenchDefaults.E, W: windows, seed: scalingBenchDefaults.seed });
    const ids = Array.from({ length: windows }, (_, i) => i);
    for (const variant of scalingBenchDefaults.variants) {
      const model = createEadro({ variant }, datasetDims(ds), 1);
      const c = model.config;
      const adam = new Adam({ learningRate: c.learningRate, beta1: c.adamBeta1, beta2: c.adamBeta2, epsilon: c.adamEpsilon });
      const step = chooseStep(c);
      const stepOn = async (batchIds: number[]): Promise<void> => {
        const batch = makeBatch(ds, batchIds, c);
        try {
          await trainStepAsync(model, batch, adam, step);
        } finally {
          disposeBatch(batch);
        }
      };
      try {
        for (let w = 0; w < scalingBenchDefaults.warmupSteps; w++) await stepOn(ids.slice((w * B) % windows, (w * B) % windows + B));
        await predictAsync(model, ds, ids.slice(0, B));
        const trainRuns: number[] = [];
        const inferRuns: number[] = [];
        for (let r = 0; r < repeats; r++) {
          const t0 = performance.now();
          for (let s = 0; s < windows; s += B) await stepOn(ids.slice(s, s + B));
          trainRuns.push(((performance.now() - t0) * 1000) / windows); // microseconds per window
          const t1 = performance.now();
          await predictAsync(model, ds, ids, { batchSize: B });
          inferRuns.push(((performance.now() - t1) * 1000) / windows);
        }
        const edges = model.adjacency.reduce((a, v) => a + (v !== 0 ? 1 : 0), 0);
        const p = { variant, N, edges, trainMicrosecondsPerWindow: median(trainRuns), inferMicrosecondsPerWindow: median(inferRuns), trainRuns, inferRuns, step, selfLoops: String(c.selfLoops) };
        points.push(p);
        process.stderr.write(`N=${N} ${variant} (${edges} edges): train ${p.trainMicrosecondsPerWindow.toFixed(0)} us/window (${(1e6 / p.trainMicrosecondsPerWindow).toFixed(0)} windows/s), infer ${p.inferMicrosecondsPerWindow.toFixed(0)} us/window (load ${os.loadavg()[0]!.toFixed(2)})\n`);
      } finally {
        adam.dispose();
        disposeEadro(model);
      }
    }
  }
  const fits = scalingFits(points);
  const loadEnd = os.loadavg();
  const result = {
    benchmark: 'eadro-scaling',
    issue: 27,
    startedAt,
    endedAt: new Date().toISOString(),
    loadAverageStart: loadStart,
    loadAverageEnd: loadEnd,
    settings: { ...scalingBenchDefaults, sizes, windows, repeats, out },
    note: 'Synthetic call trees (N - 1 caller -> callee edges; the paper variant adds a self-loop per node). Costs are wall-clock microseconds per window on one thread; other work shared the 2 cores (load average recorded): a quiet-machine rerun may differ.',
    points,
    fits,
    backend,
    machine: machineInfo(),
    code: codeVersion(),
    packages: packageVersions(),
  };
  writeJsonAtomic(out, result);
  const code = result.code;
  const md = [
    '# Eadro cost per window against graph size (synthetic call trees), issue 27',
    '',
    `Made by \`eadro bench --only eadro-scaling\` (scripts/bench/eadro-scaling.ts) from ${startedAt} to ${result.endedAt}, commit ${code.commit ?? 'unknown'}${code.dirty === true ? ' (uncommitted changes)' : ''}, ` +
      `${backend.name} backend, one thread, ${windows} windows per size, batch 256, median of ${repeats} repeats; ${result.machine.cpuModel} x ${result.machine.cpuCount}.`,
    '',
    scalingMarkdown(points, fits),
    '',
    `"Grows no faster than services + edges": the cost's growth from the smallest to the largest size divided by the growth of services + edges is at most 1.1 (the log-log exponent at most ~1). ` +
      `Load average (1/5/15 min) at start ${loadStart.map((x) => x.toFixed(2)).join(' / ')}, at end ${loadEnd.map((x) => x.toFixed(2)).join(' / ')}: ${loadNote(loadStart[0] ?? 0)}.`,
    '',
  ].join('\n');
  writeFileAtomic(out.replace(/\.json$/, '') + '.md', md);
  process.stderr.write(`${scalingMarkdown(points, fits)}\nwrote ${out}\n`);
}

await main();
