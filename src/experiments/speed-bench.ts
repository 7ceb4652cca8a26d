/**
 * The pure parts of two speed benchmarks (issue 27), so that they are tested without timing anything:
 *
 * - `eadro bench --vs-pytorch` (scripts/bench/vs-pytorch.ts): our tfjs Eadro against the PyTorch port
 *   (scripts/pytorch/eadro_reference.py `time --epochs`) on the same exported windows, in interleaved
 *   rounds (ours, torch, ours, torch, ...). Here: finding a Python that imports torch, the message when
 *   none does, reading the port's RESULT.json, medians and ranges over rounds, and the ratio table.
 * - `eadro bench --only eadro-scaling` (scripts/bench/eadro-scaling.ts): cost per window at growing
 *   synthetic call trees (N = 12, 27, 46, 64). Here: the fit of cost against services + edges and the
 *   verdict whether cost grows no faster than that size.
 *
 * Units: training speed in windows per second (wall clock, full epochs, batch 256); inference time in
 * microseconds per window (eval mode, batch 256); costs per window in microseconds.
 */
import { spawnSync } from 'node:child_process';
import { EadroError } from '../core/errors.js';
import { median } from '../core/stats.js';

export const vsPytorchDefaults = {
  systems: ['SN', 'TT'] as ('SN' | 'TT')[], // issue 27: N = 12 (SN) and N = 27 (TT)
  variants: ['paper', 'reference'] as ('paper' | 'reference')[], // issue 27: both variants
  threads: [1] as number[], // issue 27: the target is one thread; `--threads 1,2` adds two
  rounds: 4, // issue 27 example (`--rounds 4`): enough for a median and a range
  epochsPerRound: 1, // ours: one full epoch per side per round (quick windows: SN 747, TT 2,514 training windows)
  // ours: untimed full epochs before the rounds (ours once, the port in every fresh process), after 3
  // warm-up steps: V8 tiers JavaScript and WebAssembly up over the first epochs. Measured on the SN
  // bundle (paper variant, no warm-up): 264, 522, 643, 667 windows/s in epochs 1-4; 3 steps were not enough.
  warmupEpochs: 1,
  batchSize: 256, // paper §V-C; the port's `time` default
  inferRepeats: 3, // ours, as scripts/bench/eadro.ts: inference passes per round, median taken
  seed: 0, // ours: the quick reproduction's seed (split, initial weights, shuffles)
  /** Pythons tried in order after $EADRO_PYTHON: the PATH's, then Debian's own (python3-torch installs there). */
  pythons: ['python3', '/usr/bin/python3'],
  /** What installs torch where `eadro bench --vs-pytorch` looks (Debian/Ubuntu; not a test dependency). */
  torchPackage: 'python3-torch',
  out: 'results/bench/vs-pytorch.json',
  outMarkdown: 'results/bench/vs-pytorch.md',
  bundleDir: 'results/cache/bench-vs-pytorch', // ignored by git: rewritten by every run
  /** Issue 27's target for the paper variant at one thread: ours/torch training >= 1, inference time <= 1. */
  target: { variant: 'paper', threads: 1, trainRatioAtLeast: 1, inferRatioAtMost: 1 },
};

/** One Python that imports torch. */
export interface TorchPython {
  python: string;
  torchVersion: string;
  numpyVersion: string;
}

/** Ask `python` for its torch and numpy versions; null when it is absent or cannot import them. */
export function probeTorchPython(python: string): TorchPython | null {
  const r = spawnSync(python, ['-c', 'import torch, numpy; print(torch.__version__); print(numpy.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error !== undefined || r.status !== 0) return null;
  const [torchVersion, numpyVersion] = r.stdout.trim().split('\n');
  if (torchVersion === undefined || numpyVersion === undefined) return null;
  return { python, torchVersion: torchVersion.trim(), numpyVersion: numpyVersion.trim() };
}

/**
 * The first candidate that imports torch ($EADRO_PYTHON alone when set: the user chose it), or null.
 * `probe` is injectable so that the choice is tested without Python.
 */
export function findTorchPython(
  env: NodeJS.ProcessEnv,
  probe: (python: string) => TorchPython | null = probeTorchPython,
  candidates: readonly string[] = vsPytorchDefaults.pythons,
): { found: TorchPython | null; tried: string[] } {
  const chosen = env['EADRO_PYTHON'];
  const tried = chosen !== undefined && chosen !== '' ? [chosen] : [...candidates];
  for (const python of tried) {
    const found = probe(python);
    if (found !== null) return { found, tried };
  }
  return { found: null, tried };
}

/** What `eadro bench --vs-pytorch` says, before writing anything, when no Python imports torch. */
export function torchMissingMessage(tried: readonly string[]): string {
  return [
    `eadro bench --vs-pytorch needs PyTorch: none of ${tried.join(', ')} imports torch (and numpy).`,
    `Install Debian's package ${vsPytorchDefaults.torchPackage} (PyTorch 1.13 for /usr/bin/python3):`,
    `  sudo apt-get update && sudo apt-get install -y ${vsPytorchDefaults.torchPackage}`,
    '  (or: bash scripts/setup-system.sh torch)',
    'or point EADRO_PYTHON at a Python that has torch and numpy. Nothing was written.',
  ].join('\n');
}

/** What the bench reads from the port's `time --epochs` RESULT.json. */
export interface TorchTiming {
  trainWindowsPerSecond: number;
  inferMicrosecondsPerWindow: number;
  /** The same from the process's CPU time (all its threads): less moved by other work on the cores. */
  trainWindowsPerCpuSecond: number;
  inferCpuMicrosecondsPerWindow: number;
  inferMicrosecondsPerWindowRuns: number[];
  trainWindows: number;
  inferWindows: number;
  threads: number;
  torchVersion: string;
  variant: string | null;
  /** GAT edges the port computed on (self-loops included): compared with ours. */
  edges: number;
}

/** Parse the port's RESULT.json of `time --split S --epochs E`; every missing or bad field is named. */
export function parseTorchTiming(json: unknown, file: string): TorchTiming {
  const bad = (field: string, expected: string, found: unknown): EadroError =>
    new EadroError('The PyTorch port wrote an unexpected result.', { file, field, expected, found: JSON.stringify(found)?.slice(0, 80) ?? String(found) });
  const obj = (v: unknown, field: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(field, 'an object', v);
    return v as Record<string, unknown>;
  };
  const num = (o: Record<string, unknown>, key: string, field: string, positive = true): number => {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0)) throw bad(field, positive ? 'a positive number' : 'a number', v);
    return v;
  };
  const root = obj(json, '(root)');
  if (root['format'] !== 'eadro-ts-pytorch-result/1') throw bad('format', 'eadro-ts-pytorch-result/1', root['format']);
  if (root['mode'] !== 'time-epochs') throw bad('mode', 'time-epochs (eadro_reference.py time --epochs)', root['mode']);
  const t = obj(root['timings'], 'timings');
  const split = obj(root['split'], 'split');
  const model = obj(root['model'], 'model');
  const env = obj(root['environment'], 'environment');
  const runs = t['inferenceMicrosecondsPerWindowRuns'];
  if (!Array.isArray(runs) || runs.length === 0 || !runs.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) {
    throw bad('timings.inferenceMicrosecondsPerWindowRuns', 'a non-empty list of positive numbers', runs);
  }
  if (typeof env['torch'] !== 'string') throw bad('environment.torch', 'the torch version', env['torch']);
  return {
    trainWindowsPerSecond: num(t, 'trainWindowsPerSecond', 'timings.trainWindowsPerSecond'),
    inferMicrosecondsPerWindow: num(t, 'inferenceMicrosecondsPerWindow', 'timings.inferenceMicrosecondsPerWindow'),
    trainWindowsPerCpuSecond: num(t, 'trainWindowsPerCpuSecond', 'timings.trainWindowsPerCpuSecond'),
    inferCpuMicrosecondsPerWindow: num(t, 'inferenceCpuMicrosecondsPerWindow', 'timings.inferenceCpuMicrosecondsPerWindow'),
    inferMicrosecondsPerWindowRuns: runs as number[],
    trainWindows: num(split, 'train', 'split.train'),
    inferWindows: num(split, 'infer', 'split.infer'),
    threads: num(root, 'threads', 'threads'),
    torchVersion: env['torch'],
    variant: typeof model['variant'] === 'string' ? model['variant'] : null,
    edges: num(model, 'edges', 'model.edges', false),
  };
}

/** Median and range of a set of rounds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

/** One round of one side: what was measured. */
export interface RoundSample {
  system: string;
  N: number;
  variant: string;
  threads: number;
  side: 'ours' | 'torch';
  round: number;
  trainWindowsPerSecond: number;
  inferMicrosecondsPerWindow: number;
  /**
   * The same from CPU time (process user + system over the epochs / passes, all threads). On the shared
   * 2-core machine wall time also counts the time the process waited for a core; CPU time does not.
   */
  trainWindowsPerCpuSecond: number;
  inferCpuMicrosecondsPerWindow: number;
}

/** Ratios of one measure (wall or CPU): median(ours)/median(torch) and the per-round ratios' range. */
export interface RatioPair {
  ours: { trainWindowsPerSecond: Spread; inferMicrosecondsPerWindow: Spread };
  torch: { trainWindowsPerSecond: Spread; inferMicrosecondsPerWindow: Spread };
  trainRatio: Spread;
  inferRatio: Spread;
  target: 'met' | 'not met' | null;
}

/** One row of the ratio table: one system, variant and thread count. */
export interface RatioRow {
  system: string;
  N: number;
  variant: string;
  threads: number;
  ours: { trainWindowsPerSecond: Spread; inferMicrosecondsPerWindow: Spread };
  torch: { trainWindowsPerSecond: Spread; inferMicrosecondsPerWindow: Spread };
  /** ours/torch training speed: median of ours over median of torch (> 1: ours faster), and the range of the per-round ratios. */
  trainRatio: Spread;
  /** ours/torch inference time per window (< 1: ours faster), the same way. */
  inferRatio: Spread;
  /** Whether issue 27's target applies to the row (paper variant, one thread) and, if so, whether it is met. */
  target: 'met' | 'not met' | null;
  /** The same from CPU time (windows per CPU-second, CPU microseconds per window). */
  cpu: RatioPair;
}

/**
 * The ratio table from interleaved rounds. The headline ratio is median(ours)/median(torch); its
 * min/max are those of the ratios within each round (ours and torch of round r ran back to back, so
 * they shared the machine's load): the range shows how much the load moved the comparison.
 */
export function ratioRows(samples: readonly RoundSample[], target = vsPytorchDefaults.target): RatioRow[] {
  const keys: string[] = [];
  const groups = new Map<string, RoundSample[]>();
  for (const s of samples) {
    const key = `${s.system}|${s.variant}|${s.threads}`;
    if (!groups.has(key)) {
      groups.set(key, []);
      keys.push(key);
    }
    groups.get(key)!.push(s);
  }
  return keys.map((key) => {
    const g = groups.get(key)!;
    const first = g[0]!;
    const ours = g.filter((s) => s.side === 'ours');
    const torch = g.filter((s) => s.side === 'torch');
    const applies = first.variant === target.variant && first.threads === target.threads;
    const pair = (train: (s: RoundSample) => number, infer: (s: RoundSample) => number): RatioPair => {
      const perRound = ours.flatMap((o) => {
        const t = torch.find((x) => x.round === o.round);
        return t === undefined ? [] : [{ train: train(o) / train(t), infer: infer(o) / infer(t) }];
      });
      const p: RatioPair = {
        ours: { trainWindowsPerSecond: spread(ours.map(train)), inferMicrosecondsPerWindow: spread(ours.map(infer)) },
        torch: { trainWindowsPerSecond: spread(torch.map(train)), inferMicrosecondsPerWindow: spread(torch.map(infer)) },
        trainRatio: spread(perRound.map((r) => r.train)),
        inferRatio: spread(perRound.map((r) => r.infer)),
        target: null,
      };
      p.trainRatio.median = p.ours.trainWindowsPerSecond.median / p.torch.trainWindowsPerSecond.median;
      p.inferRatio.median = p.ours.inferMicrosecondsPerWindow.median / p.torch.inferMicrosecondsPerWindow.median;
      if (applies) p.target = p.trainRatio.median >= target.trainRatioAtLeast && p.inferRatio.median <= target.inferRatioAtMost ? 'met' : 'not met';
      return p;
    };
    const wall = pair((s) => s.trainWindowsPerSecond, (s) => s.inferMicrosecondsPerWindow);
    const cpu = pair((s) => s.trainWindowsPerCpuSecond, (s) => s.inferCpuMicrosecondsPerWindow);
    return { system: first.system, N: first.N, variant: first.variant, threads: first.threads, ...wall, cpu };
  });
}

const fmt = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-');
const range = (s: Spread, digits = 0): string => (s.n === 0 ? '-' : `${fmt(s.median, digits)} (${fmt(s.min, digits)}-${fmt(s.max, digits)})`);

/**
 * The Markdown ratio table (one line per system, variant and thread count), from wall-clock figures or
 * (`measure: 'cpu'`) from CPU time: windows per CPU-second and CPU microseconds per window.
 */
export function ratioTableMarkdown(rows: readonly RatioRow[], measure: 'wall' | 'cpu' = 'wall'): string {
  const unit = measure === 'wall' ? { train: 'w/s', infer: 'us/w' } : { train: 'w/CPU-s', infer: 'CPU-us/w' };
  const lines = [
    `| system | N | variant | threads | ours train (${unit.train}) | torch train (${unit.train}) | **train ratio** ours/torch | ours infer (${unit.infer}) | torch infer (${unit.infer}) | **infer time ratio** ours/torch | target |`,
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const row of rows) {
    const r = measure === 'wall' ? row : { ...row, ...row.cpu };
    lines.push(
      `| ${r.system} | ${r.N} | ${r.variant} | ${r.threads} | ${range(r.ours.trainWindowsPerSecond)} | ${range(r.torch.trainWindowsPerSecond)} | **${fmt(r.trainRatio.median, 2)}** (${fmt(r.trainRatio.min, 2)}-${fmt(r.trainRatio.max, 2)}) | ` +
        `${range(r.ours.inferMicrosecondsPerWindow)} | ${range(r.torch.inferMicrosecondsPerWindow)} | **${fmt(r.inferRatio.median, 2)}** (${fmt(r.inferRatio.min, 2)}-${fmt(r.inferRatio.max, 2)}) | ${r.target ?? ''} |`,
    );
  }
  return lines.join('\n');
}

/** What vsPytorchMarkdown reads of results/bench/vs-pytorch.json (scripts/bench/vs-pytorch.ts writes it). */
export interface VsPytorchResult {
  startedAt: string;
  endedAt: string;
  loadAverageStart: number[];
  loadAverageEnd: number[];
  settings: { rounds: number; epochsPerRound: number; warmupEpochs: number; threads: number[] };
  rows: RatioRow[];
  datasets: Record<string, unknown>[];
  backend: { name: string };
  torch: { python: string; torch: string };
  machine: { cpuModel: string; cpuCount: number };
  code: { commit: string | null; dirty: boolean | null };
}

/**
 * What the load at the start says about a bench's figures: the bench's own process adds about one to
 * the load once it runs, so only the 1-min load at the start tells whether other work was running.
 */
export function loadNote(loadStart1m: number): string {
  return loadStart1m > 0.5
    ? 'other work shared the machine, so a quiet-machine rerun may differ'
    : 'nothing else ran at the start (the bench itself adds about 1 to the load)';
}

/** results/bench/vs-pytorch.md from the JSON: both ratio tables (wall clock, CPU time) and the provenance. */
export function vsPytorchMarkdown(r: VsPytorchResult): string {
  const s = r.settings;
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' / ');
  return [
    '# Our tfjs Eadro (wasm) against the PyTorch port (CPU), issue 27',
    '',
    `Made by \`eadro bench --vs-pytorch\` (scripts/bench/vs-pytorch.ts) from ${r.startedAt} to ${r.endedAt}: ${s.rounds} interleaved rounds (ours, torch, ours, ...) of ${s.epochsPerRound} epoch(s) per side, ` +
      `after the same untimed warm-up on both sides (3 steps and ${s.warmupEpochs} full epoch(s)); commit ${r.code.commit ?? 'unknown'}${r.code.dirty === true ? ' (uncommitted changes)' : ''}, ` +
      `${r.backend.name} backend, torch ${r.torch.torch} (${r.torch.python}), ${r.machine.cpuModel} x ${r.machine.cpuCount}.`,
    '',
    `Main job \`quick\` testbed windows (stride ${String((r.datasets[0]?.['windowConfig'] as { stride?: number } | undefined)?.stride ?? 1)}, \`temporal\` split, seed 0), the same exported windows and initial weights on both sides; training: full epochs over the training windows at batch 256 (windows/s, higher is faster); ` +
      'inference: the test windows at batch 256, median of 3 passes per round (us per window, lower is faster). ' +
      'Each cell: median over rounds (range); ratios: median(ours)/median(torch) (range of the per-round ratios). Target (issue 27, paper variant, one thread): training ratio >= 1.0, inference time ratio <= 1.0.',
    '',
    '## Wall clock',
    '',
    ratioTableMarkdown(r.rows),
    '',
    '## CPU time',
    '',
    "The same rounds from each process's CPU time (user + system, all its threads): windows per CPU-second and CPU microseconds per window. " +
      'On a busy machine wall time also counts the time a process waited for a core; CPU time does not (cache and memory-bandwidth contention remain).',
    '',
    ratioTableMarkdown(r.rows, 'cpu'),
    '',
    `Load average (1/5/15 min) at start ${load(r.loadAverageStart)}, at end ${load(r.loadAverageEnd)} on ${r.machine.cpuCount} cores: ${loadNote(r.loadAverageStart[0] ?? 0)} ` +
      '(both sides ran in the same rounds, so the ratios are less affected than the absolute figures).',
    '',
    `Datasets: ${r.datasets
      .filter((d) => d['threads'] === s.threads[0])
      .map((d) => `${String(d['system'])} ${String(d['variant'])}: ${String(d['windows'])} windows (${String(d['train'])} train, ${String(d['test'])} test), ${String(d['edges'])} GAT edges (selfLoops ${String(d['selfLoops'])}), raw checksum ${String(d['sourceChecksum']).slice(0, 12)}`)
      .join('; ')}.`,
    '',
  ].join('\n');
}

/** One size of the scaling benchmark: cost per window of one variant at N services. */
export interface ScalingPoint {
  variant: string;
  N: number;
  /** Directed GAT edges the model computes on (self-loops included, duplicates collapsed). */
  edges: number;
  /** Training cost, microseconds per window (1e6 / windows per second). */
  trainMicrosecondsPerWindow: number;
  inferMicrosecondsPerWindow: number;
}

/** How one cost grows with services + edges (size s = N + edges). */
export interface ScalingFit {
  variant: string;
  cost: 'train' | 'infer';
  /** Least-squares line cost = intercept + slope * s (microseconds; slope per service-or-edge). */
  intercept: number;
  slope: number;
  /** log(cost_max / cost_min) / log(s_max / s_min) between the smallest and largest size: 1 = proportional, < 1 slower. */
  logLogExponent: number;
  /** (cost at the largest size / cost at the smallest) over (s largest / s smallest): <= 1 grows no faster than s. */
  growthRatio: number;
  /** growthRatio <= 1 + tolerance. */
  noFasterThanSize: boolean;
}

export const scalingDefaults = {
  /** ours: a growth ratio up to 1.1 counts as "no faster" (single timings on a shared machine vary ~±10-20 %). */
  tolerance: 0.1,
};

export function scalingFits(points: readonly ScalingPoint[], tolerance = scalingDefaults.tolerance): ScalingFit[] {
  const variants = [...new Set(points.map((p) => p.variant))];
  const out: ScalingFit[] = [];
  for (const variant of variants) {
    const ps = points.filter((p) => p.variant === variant).sort((a, b) => a.N + a.edges - (b.N + b.edges));
    if (ps.length < 2) continue;
    for (const cost of ['train', 'infer'] as const) {
      const xs = ps.map((p) => p.N + p.edges);
      const ys = ps.map((p) => (cost === 'train' ? p.trainMicrosecondsPerWindow : p.inferMicrosecondsPerWindow));
      const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
      const my = ys.reduce((a, b) => a + b, 0) / ys.length;
      const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
      const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / sxx;
      const sRatio = xs[xs.length - 1]! / xs[0]!;
      const cRatio = ys[ys.length - 1]! / ys[0]!;
      const growthRatio = cRatio / sRatio;
      out.push({ variant, cost, intercept: my - slope * mx, slope, logLogExponent: Math.log(cRatio) / Math.log(sRatio), growthRatio, noFasterThanSize: growthRatio <= 1 + tolerance });
    }
  }
  return out;
}

/** Markdown: one table of the sizes, one of the fits with the verdict. */
export function scalingMarkdown(points: readonly ScalingPoint[], fits: readonly ScalingFit[]): string {
  const lines = ['| variant | N | edges | services + edges | train (us/window) | infer (us/window) |', '|---|---:|---:|---:|---:|---:|'];
  for (const p of points) lines.push(`| ${p.variant} | ${p.N} | ${p.edges} | ${p.N + p.edges} | ${fmt(p.trainMicrosecondsPerWindow)} | ${fmt(p.inferMicrosecondsPerWindow)} |`);
  lines.push('', '| variant | cost | fit: us = a + b * (N + edges) | log-log exponent | growth / size growth (smallest to largest) | grows no faster than services + edges |', '|---|---|---|---:|---:|---|');
  for (const f of fits) {
    lines.push(`| ${f.variant} | ${f.cost} | ${fmt(f.intercept, 1)} + ${fmt(f.slope, 2)} * s | ${fmt(f.logLogExponent, 2)} | ${fmt(f.growthRatio, 2)} | ${f.noFasterThanSize ? 'yes' : 'no'} |`);
  }
  return lines.join('\n');
}
