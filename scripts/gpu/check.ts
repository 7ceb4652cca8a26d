/**
 * The prepared GPU check (issue 21), bundled by scripts/gpu/pack.sh and run by scripts/gpu/run.sh on
 * a machine with a GPU and no Node or network. Three parts, each written to the result as it ends:
 *
 * 1. Adapter: WebGPU through Dawn (`--backend webgpu`, core/webgpu.ts); with `--require-vendor nvidia`
 *    (the default) anything else, a software adapter included, fails the check (exit 4).
 * 2. Parity: a few Adam steps on the GPU against tfjs's cpu backend (models/eadro/backend-parity.ts,
 *    the comparison the CI tests make on the software adapter): both variants and each ablation at
 *    small shapes, and both variants at the paper's SN shape (N = 12, T = 10, K = 7, E = 30, batch 32).
 * 3. Timing at the paper's shapes (scripts/bench/eadro.ts's synthetic windows: T = 10, K = 7, E = 30,
 *    batch 256), SN N = 12 and TT N = 27, both variants: training windows/s over timed steps after
 *    untimed warm-up steps (the first ones compile the shaders), inference microseconds per window
 *    (predictAsync), and from them an estimate of the full `eadro reproduce`'s Eadro training time.
 *
 *   node check.mjs [--out DIR] [--require-vendor nvidia|''] [--smoke] [--label NAME] [--pack-info FILE]
 *     --smoke      small shapes and few steps: the local dry run on a software adapter
 *     --parity-only  adapter and parity, no timing
 *     --pack-info  `eadro info --json` of the checkout the bundle was built from (pack.sh writes it):
 *                  a bundle has no package.json or .git beside it, so its code version comes from there
 * Writes DIR/gpu-<label>.json (default DIR results/bench, label: the adapter's vendor and device).
 * Exit codes: 0 pass, 4 wrong or no adapter, 5 parity failed, 1 anything else.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendInfo } from '../../src/core/backend.js';
import { adapterLabel } from '../../src/core/webgpu.js';
import { writeJsonAtomic } from '../../src/core/io.js';
import { codeVersion, machineInfo, packageVersions } from '../../src/core/manifest.js';
import { protocolDefaults } from '../../src/evaluation/protocols.js';
import { makeSyntheticWindows } from '../../src/models/synthetic.js';
import { compareTraces, parityCases, parityModel, traceSteps, type ParityReport } from '../../src/models/eadro/backend-parity.js';
import { Adam } from '../../src/models/eadro/adam.js';
import { createEadro, datasetDims, disposeBatch, disposeEadro, makeBatch, parameterCount, predictAsync, type EadroVariant } from '../../src/models/eadro/index.js';
import { eadroDefaults } from '../../src/models/eadro/config.js';
import { chooseStep, trainStepAsync } from '../../src/models/eadro/step.js';

const checkDefaults = {
  out: 'results/bench',
  requireVendor: 'nvidia',
  // scripts/bench/eadro.ts benchDefaults: the paper's window (10 s, 7 KPIs), E within 20-40, batch 256
  paperShape: { T: 10, K: 7, E: 30, batchSize: 256 },
  shapes: [
    { name: 'SN', N: 12 },
    { name: 'TT', N: 27 },
  ],
  variants: ['reference', 'paper'] as EadroVariant[],
  warmupSteps: 3, // ours: the first steps compile the WGSL shaders
  timedSteps: 10, // ours: 2,560 windows per row
  inferWindows: 1024, // ours: 4 batches, timed on the second of two passes (the first compiles)
  parityCases, // models/eadro/backend-parity.ts: the cases the CI tests compare on the software adapter
  // The full form of `eadro reproduce` (experiments/reproduce.ts reproduceDefaults.full): the `paper`
  // profile's windows (results/bench/windows.json, windows-sn.json), 5 seeds, 2 protocols, the full model
  // and its 4 ablations (paper variant), up to eadroDefaults maxEpochs epochs each.
  fullForm: { windows: { TT: 143803, SN: 15279 }, seeds: 5, protocols: ['temporal', 'reference-random'], modelsPerProtocol: 5 },
  smoke: { shapes: [{ name: 'SN', N: 12 }], batchSize: 32, warmupSteps: 1, timedSteps: 2, inferWindows: 64 },
};

const { values: flags } = parseArgs({
  options: { out: { type: 'string' }, 'require-vendor': { type: 'string' }, smoke: { type: 'boolean' }, 'parity-only': { type: 'boolean' }, label: { type: 'string' }, 'pack-info': { type: 'string' } },
  strict: true,
});
const smoke = flags.smoke === true;
const requireVendor = (flags['require-vendor'] ?? checkDefaults.requireVendor).toLowerCase();
const outDir = flags.out ?? checkDefaults.out;
/** The settings that run: the smoke run's small shapes and batch over the defaults. */
const settings = smoke ? { ...checkDefaults, ...checkDefaults.smoke, paperShape: { ...checkDefaults.paperShape, batchSize: checkDefaults.smoke.batchSize } } : checkDefaults;

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

const result: Record<string, unknown> = {
  benchmark: 'gpu-check',
  startedAt: new Date().toISOString(),
  smoke,
  settings,
  machine: machineInfo(),
  loadAverage: os.loadavg(),
  code: codeVersion(),
  packages: packageVersions(),
};
if (flags['pack-info'] !== undefined) {
  const packed = JSON.parse(fs.readFileSync(flags['pack-info'], 'utf8')) as { code: unknown; packages: unknown };
  result['code'] = packed.code;
  result['packages'] = packed.packages;
  result['codeFrom'] = 'the checkout the bundle was packed from (scripts/gpu/pack.sh pack-info.json)';
}
let outFile = path.join(outDir, `gpu-${flags.label ?? 'unknown'}.json`);
const save = (): void => writeJsonAtomic(outFile, { ...result, savedAt: new Date().toISOString() });

async function main(): Promise<number> {
  // 1. adapter
  let backend: BackendInfo;
  try {
    backend = await initBackend('webgpu');
  } catch (err) {
    result['adapter'] = null;
    result['error'] = (err as Error).message;
    save();
    log(`no WebGPU adapter: ${(err as Error).message}`);
    return 4;
  }
  const adapter = backend.adapter!;
  const label = flags.label ?? (`${adapter.vendor}-${adapter.device || adapter.architecture}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'adapter');
  outFile = path.join(outDir, `gpu-${label}${smoke ? '-smoke' : ''}${flags['parity-only'] === true ? '-parity' : ''}.json`);
  result['backend'] = backend;
  log(`adapter: ${adapterLabel(adapter)}`);
  const text = `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}`.toLowerCase();
  if (requireVendor !== '' && (adapter.software || !text.includes(requireVendor))) {
    result['error'] = `adapter is not ${requireVendor}${adapter.software ? ' (software adapter)' : ''}: ${adapterLabel(adapter)}`;
    save();
    log(String(result['error']));
    return 4;
  }
  save();

  // 2. parity with the cpu backend
  const parity: { case: string; report: ParityReport }[] = [];
  result['parity'] = parity;
  const tiny = makeSyntheticWindows({ N: 6, T: 7, K: 3, E: 4, W: 40, seed: 5 });
  const snShape = makeSyntheticWindows({ N: 12, ...checkDefaults.paperShape, W: 96, seed: 2023 });
  const cases = [
    ...checkDefaults.parityCases.map((c) => ({ ds: tiny, config: { ...c, ...parityModel }, label: `small ${c.variant}${c.without.length ? ` w/o ${c.without.join(',')}` : ''}`, opts: {} })),
    ...(smoke ? [] : checkDefaults.variants.map((variant) => ({ ds: snShape, config: { variant }, label: `SN shape ${variant}, batch 32`, opts: { batchSize: 32 } }))),
  ];
  for (const c of cases) {
    const cpu = await traceSteps('cpu', c.ds, c.config, 3, c.opts);
    const gpu = await traceSteps('webgpu', c.ds, c.config, 3, c.opts);
    const report = compareTraces(gpu, cpu);
    parity.push({ case: c.label, report });
    log(`parity ${c.label}: ${report.ok ? 'ok' : `FAILED ${report.failures.join('; ')}`} (loss ${Math.max(...report.lossRelDiff).toExponential(1)}, gradient ${report.gradientRelDiff.max.toExponential(1)}, weights ${report.weightRelDiff.max.toExponential(1)})`);
    save();
  }
  const parityOk = parity.every((p) => p.report.ok);
  result['parityOk'] = parityOk;
  save();

  if (flags['parity-only'] === true) {
    result['endedAt'] = new Date().toISOString();
    result['ok'] = parityOk;
    save();
    log(`wrote ${outFile} (parity only)`);
    return parityOk ? 0 : 5;
  }

  // 3. timing at the paper's shapes
  await initBackend('webgpu');
  const s = settings;
  const B = s.paperShape.batchSize;
  const rows: Record<string, unknown>[] = [];
  result['timing'] = rows;
  for (const shape of s.shapes) {
    const W = Math.max(B * (s.warmupSteps + s.timedSteps), s.inferWindows);
    const ds = makeSyntheticWindows({ N: shape.N, T: s.paperShape.T, K: s.paperShape.K, E: s.paperShape.E, W, seed: 2023 });
    for (const variant of s.variants) {
      const model = createEadro({ variant }, datasetDims(ds), 0);
      const adam = new Adam({ learningRate: model.config.learningRate, beta1: model.config.adamBeta1, beta2: model.config.adamBeta2, epsilon: model.config.adamEpsilon });
      const step = chooseStep(model.config);
      const batches = Array.from({ length: s.warmupSteps + s.timedSteps }, (_, i) => Array.from({ length: B }, (_, j) => i * B + j));
      const stepSeconds: number[] = [];
      let t0 = 0;
      for (let i = 0; i < batches.length; i++) {
        if (i === s.warmupSteps) t0 = performance.now();
        const ts = performance.now();
        const batch = makeBatch(ds, batches[i]!, model.config);
        await trainStepAsync(model, batch, adam, step);
        disposeBatch(batch);
        if (i >= s.warmupSteps) stepSeconds.push((performance.now() - ts) / 1000);
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const inferIds = Array.from({ length: s.inferWindows }, (_, i) => i);
      await predictAsync(model, ds, inferIds); // compiles the inference shaders
      const ti = performance.now();
      await predictAsync(model, ds, inferIds);
      const inferUs = ((performance.now() - ti) * 1000) / s.inferWindows;
      const row = {
        shape: shape.name,
        N: shape.N,
        variant,
        step,
        batchSize: B,
        parameters: parameterCount(model),
        timedSteps: s.timedSteps,
        trainWindowsPerSecond: (s.timedSteps * B) / trainSeconds,
        fastestStepSeconds: Math.min(...stepSeconds),
        inferMicrosecondsPerWindow: inferUs,
        tensorsAfter: tf.memory().numTensors,
      };
      rows.push(row);
      log(`${shape.name} ${variant}: ${row.trainWindowsPerSecond.toFixed(0)} windows/s training (fastest step ${(row.fastestStepSeconds * 1000).toFixed(1)} ms), ${inferUs.toFixed(1)} us/window inference`);
      disposeEadro(model);
      adam.dispose();
      save();
    }
  }

  // the full form's Eadro training time, from the paper variant's measured speed
  if (!smoke) {
    const ff = checkDefaults.fullForm;
    const epochs = eadroDefaults.common.maxEpochs;
    const trainShare: Record<string, number> = {
      temporal: protocolDefaults.temporal.trainFraction,
      'reference-random': 1 - protocolDefaults.referenceRandom.testFraction,
    };
    let seconds = 0;
    const perSystem: Record<string, number> = {};
    for (const [system, windows] of Object.entries(ff.windows)) {
      const speed = rows.find((r) => r['shape'] === system && r['variant'] === 'paper')?.['trainWindowsPerSecond'] as number | undefined;
      if (speed === undefined) continue;
      let windowEpochs = 0;
      for (const protocol of ff.protocols) windowEpochs += windows * trainShare[protocol]! * epochs * ff.seeds * ff.modelsPerProtocol;
      perSystem[system] = windowEpochs / speed;
      seconds += perSystem[system]!;
    }
    result['fullReproduceEstimate'] = {
      eadroTrainingHoursUpperBound: seconds / 3600,
      perSystemHours: Object.fromEntries(Object.entries(perSystem).map(([k, v]) => [k, v / 3600])),
      assumptions:
        `paper variant at the measured windows/s; ${ff.seeds} seeds x ${ff.protocols.length} protocols x ${ff.modelsPerProtocol} models (full + 4 ablations) per system; ` +
        `every run to ${epochs} epochs (no early stop: an upper bound); training windows = the protocols' train fractions of the paper profile's windows ` +
        `(TT ${ff.windows.TT}, SN ${ff.windows.SN}); excludes validation passes, the baselines, MS-LSTM/MS-DCC and building the windows (~10 min for TT, results/bench/windows.json)`,
    };
    log(`full eadro reproduce, Eadro training: at most ${(seconds / 3600).toFixed(1)} h on this GPU (upper bound, assumptions in the file)`);
  }
  result['endedAt'] = new Date().toISOString();
  result['ok'] = parityOk;
  save();
  log(`wrote ${outFile}`);
  return parityOk ? 0 : 5;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    result['error'] = err instanceof Error ? `${err.message}\n${err.stack}` : String(err);
    try {
      save();
    } catch {
      // nothing more to keep
    }
    console.error(err);
    process.exit(1);
  },
);

