/**
 * Our tfjs Eadro (wasm) against the PyTorch port (scripts/pytorch/eadro_reference.py, CPU) on the same
 * windows, issue 27. For each system (the main job's `quick` testbed windows, the main job's stride, `temporal`
 * split, seed 0: SN N = 12, TT N = 27), each variant (paper, reference; each with its own graph and
 * train-fitted normalisation, exactly what `eadro train` trains on) and each thread count, `--rounds`
 * interleaved rounds: ours (in this process), then torch (a fresh `time --epochs` process), then ours,
 * ... Each round times `--epochs-per-round` full epochs over the training windows at batch 256
 * (windows/s, wall clock) and then inference over the test windows at batch 256 (microseconds per
 * window, median of 3 passes). Both sides start from the same initial weights (our seeded model saved
 * as a checkpoint the port loads) and take the same untimed warm-up first: 3 steps and one full epoch
 * (vsPytorchDefaults.warmupEpochs: V8 tiers our JavaScript and WebAssembly up over the first epochs).
 *
 *   npx tsx scripts/bench/vs-pytorch.ts [--systems SN,TT] [--variants paper,reference] [--rounds 4]
 *     [--threads 1,2] [--epochs-per-round 1] [--out results/bench/vs-pytorch.json]
 *
 * Writes the JSON (every round, medians, ranges, provenance: commit, dataset checksums, backend, torch
 * version, threads, machine, load average at start and end) and the Markdown ratio table beside it
 * (`.md`). Without a Python that imports torch it says which package installs it and exits 1 before
 * writing anything. Threads: ours 2 = the data-parallel trainer (main thread + one worker); our
 * inference runs on one thread whatever the count; torch: torch.set_num_threads for both.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../src/core/backend.js';
import { EadroError } from '../../src/core/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../../src/core/io.js';
import { codeVersion, machineInfo, packageVersions } from '../../src/core/manifest.js';
import { median } from '../../src/core/stats.js';
import { makeSplits } from '../../src/evaluation/protocols.js';
import { ensureTestbed, windowsOf } from '../../src/experiments/datasets.js';
import { prepareEadroData } from '../../src/experiments/methods/eadro.js';
import { reproduceDefaults } from '../../src/experiments/reproduce.js';
import { findTorchPython, parseTorchTiming, ratioRows, ratioTableMarkdown, torchMissingMessage, vsPytorchDefaults, vsPytorchMarkdown, type RoundSample, type TorchPython } from '../../src/experiments/speed-bench.js';
import { createEadro, datasetDims, disposeBatch, disposeEadro, installFastWasmKernels, makeBatch, predictAsync, resolveEadroConfig, saveCheckpoint, type EadroModel, type EadroVariant } from '../../src/models/eadro/index.js';
import { Adam } from '../../src/models/eadro/adam.js';
import { chooseStep, trainStepAsync } from '../../src/models/eadro/step.js';
import { epochOrder } from '../../src/models/eadro/train.js';
import { ParallelTrainer } from '../../src/models/eadro/parallel/trainer.js';
import type { WindowDataset } from '../../src/windows/types.js';
import { packWindows, splitFile } from '../pytorch/prepare.js';

const SYSTEM_N: Record<'SN' | 'TT', number> = { SN: 12, TT: 27 }; // reference edge lists: 12 SN and 27 TT services
const PORT = path.join('scripts', 'pytorch', 'eadro_reference.py');
const WARMUP_STEPS = 3; // the port's DEFAULTS.warmupSteps: both sides take the same untimed steps

interface Options {
  systems: ('SN' | 'TT')[];
  variants: EadroVariant[];
  rounds: number;
  threads: number[];
  epochsPerRound: number;
  out: string;
}

function parseOptions(argv: string[]): Options {
  // strict: an unknown or value-less flag is refused by name (a mistyped --out once overwrote kept figures)
  const { values } = parseArgs({
    args: argv,
    options: { systems: { type: 'string' }, variants: { type: 'string' }, rounds: { type: 'string' }, threads: { type: 'string' }, 'epochs-per-round': { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  const list = (flag: string, text: string | undefined, fallback: string[]): string[] => {
    const items = text === undefined ? fallback : text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (items.length === 0) throw new EadroError('Empty list.', { field: `--${flag}` });
    return items;
  };
  const positive = (flag: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new EadroError('Bad flag value.', { field: `--${flag}`, expected: 'a positive integer', found: text });
    return n;
  };
  const systems = list('systems', values.systems, vsPytorchDefaults.systems).map((s) => s.toUpperCase());
  for (const s of systems) if (s !== 'SN' && s !== 'TT') throw new EadroError('Unknown system.', { field: '--systems', expected: 'SN, TT', found: s });
  const variants = list('variants', values.variants, vsPytorchDefaults.variants);
  for (const v of variants) if (v !== 'paper' && v !== 'reference') throw new EadroError('Unknown variant.', { field: '--variants', expected: 'paper, reference', found: v });
  return {
    systems: systems as ('SN' | 'TT')[],
    variants: variants as EadroVariant[],
    rounds: positive('rounds', values.rounds ?? String(vsPytorchDefaults.rounds)),
    threads: list('threads', values.threads, vsPytorchDefaults.threads.map(String)).map((t) => positive('threads', t)),
    epochsPerRound: positive('epochs-per-round', values['epochs-per-round'] ?? String(vsPytorchDefaults.epochsPerRound)),
    out: values.out ?? vsPytorchDefaults.out,
  };
}

/** Seconds of CPU (user + system) in a process.cpuUsage() difference (microseconds). */
function cpuSeconds(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1e6;
}

/** Ours: one round = the epochs, then the inference passes; the model stays warm across rounds. */
class OursRunner {
  private readonly adam: Adam;
  private parallel: ParallelTrainer | null = null;
  private epoch = 0;
  readonly step;

  constructor(
    readonly model: EadroModel,
    private readonly data: WindowDataset,
    private readonly train: number[],
    private readonly test: number[],
    private readonly threads: number,
    private readonly seed: number,
  ) {
    const c = model.config;
    this.adam = new Adam({ learningRate: c.learningRate, beta1: c.adamBeta1, beta2: c.adamBeta2, epsilon: c.adamEpsilon });
    this.step = chooseStep(c); // what trainEadro runs (the hand-written step where it covers the config)
  }

  async warmUp(): Promise<void> {
    const B = vsPytorchDefaults.batchSize;
    const order = epochOrder(this.train, this.seed, 0);
    const warm = Array.from({ length: WARMUP_STEPS * B }, (_, i) => order[i % order.length]!);
    if (this.threads > 1) {
      // The worker starts (backend, model copy) before any clock, as training starts it once per run.
      this.parallel = await ParallelTrainer.start({ ds: this.data, model: this.model, adam: this.adam, threads: this.threads, fastWasmKernels: true });
      await this.parallel.runEpoch(0, warm, B, () => undefined);
    } else {
      for (let s = 0; s < WARMUP_STEPS; s++) await this.oneStep(warm.slice(s * B, (s + 1) * B));
    }
    for (let e = 0; e < vsPytorchDefaults.warmupEpochs; e++) {
      const order = epochOrder(this.train, this.seed, -1 - e); // untimed, off the timed epochs' substreams
      if (this.parallel !== null) await this.parallel.runEpoch(0, order, B, () => undefined);
      else for (let s = 0; s < order.length; s += B) await this.oneStep(order.slice(s, s + B));
    }
    await predictAsync(this.model, this.data, this.test.slice(0, B));
  }

  private async oneStep(ids: number[]): Promise<void> {
    const batch = makeBatch(this.data, ids, this.model.config);
    try {
      await trainStepAsync(this.model, batch, this.adam, this.step);
    } finally {
      disposeBatch(batch);
    }
  }

  async round(epochs: number): Promise<{ trainWindowsPerSecond: number; inferMicrosecondsPerWindow: number; trainWindowsPerCpuSecond: number; inferCpuMicrosecondsPerWindow: number; inferRuns: number[] }> {
    const B = vsPytorchDefaults.batchSize;
    let windows = 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage(); // the whole process: with 2 threads, the worker's CPU time too
    for (let e = 0; e < epochs; e++) {
      const order = epochOrder(this.train, this.seed, ++this.epoch);
      if (this.parallel !== null) await this.parallel.runEpoch(this.epoch, order, B, () => undefined);
      else for (let s = 0; s < order.length; s += B) await this.oneStep(order.slice(s, s + B));
      windows += order.length;
    }
    const trainWindowsPerSecond = windows / ((performance.now() - t0) / 1000);
    const trainWindowsPerCpuSecond = windows / cpuSeconds(process.cpuUsage(c0));
    const inferRuns: number[] = [];
    const inferCpu: number[] = [];
    for (let r = 0; r < vsPytorchDefaults.inferRepeats; r++) {
      const t1 = performance.now();
      const c1 = process.cpuUsage();
      await predictAsync(this.model, this.data, this.test, { batchSize: B });
      inferRuns.push(((performance.now() - t1) * 1000) / this.test.length);
      inferCpu.push((cpuSeconds(process.cpuUsage(c1)) * 1e6) / this.test.length);
    }
    return { trainWindowsPerSecond, inferMicrosecondsPerWindow: median(inferRuns), trainWindowsPerCpuSecond, inferCpuMicrosecondsPerWindow: median(inferCpu), inferRuns };
  }

  async close(): Promise<void> {
    await this.parallel?.close();
    this.adam.dispose();
  }
}

function torchRound(py: TorchPython, bundle: string, variant: EadroVariant, threads: number, epochs: number, seed: number, outFile: string): ReturnType<typeof parseTorchTiming> {
  const args = [PORT, 'time', '--windows', path.join(bundle, 'windows'), '--init', path.join(bundle, 'init'), '--variant', variant, '--split', path.join(bundle, 'split.json'),
    '--epochs', String(epochs), '--warmup-epochs', String(vsPytorchDefaults.warmupEpochs), '--batch-size', String(vsPytorchDefaults.batchSize), '--infer-repeats', String(vsPytorchDefaults.inferRepeats),
    '--device', 'cpu', '--threads', String(threads), '--seed', String(seed), '--out', outFile];
  fs.rmSync(outFile, { force: true });
  const r = spawnSync(py.python, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  if (r.status !== 0) throw new EadroError('The PyTorch port failed.', { file: PORT, found: `exit ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` });
  return parseTorchTiming(JSON.parse(fs.readFileSync(outFile, 'utf8')), outFile);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const { found: py, tried } = findTorchPython(process.env);
  if (py === null) {
    process.stderr.write(`${torchMissingMessage(tried)}\n`);
    process.exit(1);
  }
  const startedAt = new Date().toISOString();
  const loadStart = os.loadavg();
  const backend = await initBackend('wasm'); // issue 27: the port against the wasm backend, the CPU path that trains here
  installFastWasmKernels();
  const seed = vsPytorchDefaults.seed;
  const quick = reproduceDefaults.quick;
  const samples: (RoundSample & { inferRuns: number[]; loadAverage1m: number })[] = [];
  const datasets: Record<string, unknown>[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-vs-pytorch-'));
  try {
    for (const system of opts.systems) {
      const root = await ensureTestbed(system, quick.profile, reproduceDefaults.testbedSeed);
      const build = await windowsOf(root, quick.pipeline);
      const ds = build.dataset;
      const split = makeSplits(ds, { name: 'temporal' }, seed)[0]!;
      for (const variant of opts.variants) {
        const { data, trainSplit } = prepareEadroData(ds, split, variant);
        const bundle = path.join(vsPytorchDefaults.bundleDir, `${system.toLowerCase()}-${variant}`);
        const splitJson = splitFile(split, trainSplit.val, ds.W, seed);
        writeJsonAtomic(path.join(bundle, 'split.json'), splitJson);
        packWindows(data, path.join(bundle, 'windows'), { split: splitJson, provenance: { source: root, sourceChecksum: build.checksum.sha256, windowConfigHash: build.configHash, variant, preparedFor: 'scripts/bench/vs-pytorch.ts' } }, false);
        const config = resolveEadroConfig({ variant });
        for (const threads of opts.threads) {
          const model = createEadro(config, datasetDims(data), seed);
          await saveCheckpoint(model, path.join(bundle, 'init'), { epoch: 0, metrics: {} }); // the port starts from these weights
          const edges = model.adjacency.reduce((a, v) => a + (v !== 0 ? 1 : 0), 0);
          const ours = new OursRunner(model, data, split.train, split.test, threads, seed);
          datasets.push({ system, N: ds.nodes.length, variant, threads, windows: ds.W, train: split.train.length, test: split.test.length, edges, selfLoops: config.selfLoops, source: root, sourceChecksum: build.checksum.sha256, windowConfig: quick.pipeline, windowConfigHash: build.configHash, bundle, oursStep: ours.step });
          try {
            await ours.warmUp();
            for (let round = 1; round <= opts.rounds; round++) {
              const o = await ours.round(opts.epochsPerRound);
              samples.push({ system, N: ds.nodes.length, variant, threads, side: 'ours', round, trainWindowsPerSecond: o.trainWindowsPerSecond, inferMicrosecondsPerWindow: o.inferMicrosecondsPerWindow, trainWindowsPerCpuSecond: o.trainWindowsPerCpuSecond, inferCpuMicrosecondsPerWindow: o.inferCpuMicrosecondsPerWindow, inferRuns: o.inferRuns, loadAverage1m: os.loadavg()[0]! });
              const t = torchRound(py, bundle, variant, threads, opts.epochsPerRound, seed, path.join(tmp, `torch-${system}-${variant}-${threads}-${round}.json`));
              if (t.edges !== edges) throw new EadroError('The port computes on another graph than ours.', { field: 'model.edges', expected: String(edges), found: String(t.edges) });
              samples.push({ system, N: ds.nodes.length, variant, threads, side: 'torch', round, trainWindowsPerSecond: t.trainWindowsPerSecond, inferMicrosecondsPerWindow: t.inferMicrosecondsPerWindow, trainWindowsPerCpuSecond: t.trainWindowsPerCpuSecond, inferCpuMicrosecondsPerWindow: t.inferCpuMicrosecondsPerWindow, inferRuns: t.inferMicrosecondsPerWindowRuns, loadAverage1m: os.loadavg()[0]! });
              process.stderr.write(
                `${system} ${variant} ${threads} thread(s) round ${round}: train ours ${o.trainWindowsPerSecond.toFixed(0)} / torch ${t.trainWindowsPerSecond.toFixed(0)} windows/s ` +
                  `(per CPU-s ${o.trainWindowsPerCpuSecond.toFixed(0)} / ${t.trainWindowsPerCpuSecond.toFixed(0)}); infer ours ${o.inferMicrosecondsPerWindow.toFixed(0)} / torch ${t.inferMicrosecondsPerWindow.toFixed(0)} us/window ` +
                  `(CPU ${o.inferCpuMicrosecondsPerWindow.toFixed(0)} / ${t.inferCpuMicrosecondsPerWindow.toFixed(0)}) (load ${os.loadavg()[0]!.toFixed(2)})\n`,
              );
            }
          } finally {
            await ours.close();
            disposeEadro(model);
          }
        }
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const rows = ratioRows(samples);
  const loadEnd = os.loadavg();
  const result = {
    benchmark: 'vs-pytorch',
    issue: 27,
    startedAt,
    endedAt: new Date().toISOString(),
    loadAverageStart: loadStart,
    loadAverageEnd: loadEnd,
    settings: { ...vsPytorchDefaults, ...opts, warmupSteps: WARMUP_STEPS },
    note:
      'Interleaved rounds (ours, torch, ours, ...) on the same exported windows and initial weights. Training: full epochs over the temporal split\'s training windows at batch 256, wall clock. ' +
      'Inference: the test windows at batch 256, eval mode, median of 3 passes per round. Ratios: median(ours)/median(torch); their ranges are the per-round ratios. ' +
      'Every figure also from CPU time (process user + system, all threads; rows[].cpu): wall time on the shared machine also counts waiting for a core. ' +
      'Ours with 2 threads trains data-parallel (main thread + one worker) and infers on one thread. Other work shared the 2 cores (load average recorded): a quiet-machine rerun may differ.',
    rows,
    samples,
    datasets,
    backend,
    torch: { python: py.python, torch: py.torchVersion, numpy: py.numpyVersion, device: 'cpu', threadsSetWith: 'torch.set_num_threads and set_num_interop_threads (eadro_reference.py --threads), OMP_NUM_THREADS' },
    machine: machineInfo(),
    code: codeVersion(),
    packages: packageVersions(),
  };
  writeJsonAtomic(opts.out, result);
  const mdOut = opts.out.replace(/\.json$/, '') + '.md';
  const md = vsPytorchMarkdown(result);
  writeFileAtomic(mdOut, md);
  process.stderr.write(`${ratioTableMarkdown(rows)}\n\n${ratioTableMarkdown(rows, 'cpu')}\nwrote ${opts.out} and ${mdOut}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof EadroError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
