/**
 * Run manifests: the provenance written beside every result. A number in a table can be traced to
 * the command, the resolved config (and its hash), the seeds, the backend that ran, the dataset's
 * content checksum, the exact code (git commit and whether the tree was dirty), and the machine.
 */
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { configHash, checksumPath, type DatasetChecksum } from './hash.js';
import { writeJsonAtomic } from './io.js';
import type { BackendInfo } from './backend.js';

export const MANIFEST_VERSION = 1;

export interface CodeVersion {
  /** Package version from package.json. */
  package: string;
  /** Git commit of the working tree, or null outside a checkout. */
  commit: string | null;
  /** Whether tracked files differ from that commit. */
  dirty: boolean | null;
}

export interface MachineInfo {
  platform: string;
  arch: string;
  node: string;
  cpuModel: string;
  cpuCount: number;
  memoryBytes: number;
  /** GPU description from nvidia-smi, or null when none is visible. */
  gpu: string | null;
}

export interface DatasetInfo {
  /** Path as given (absolute). */
  path: string;
  /** Content checksum, or null when the path does not exist (yet). */
  checksum: DatasetChecksum | null;
  /** Free-form description (testbed system/profile/seed, or "released TT dataset"). */
  description?: string;
}

export interface RunManifest {
  manifestVersion: number;
  /** The command as typed: argv without the node executable. */
  commandLine: string[];
  /** The eadro sub-command that produced the results. */
  command: string;
  /** Fully resolved config (defaults filled in) and its hash. */
  config: unknown;
  configHash: string;
  seeds: number[];
  /** Evaluation protocol, where the command evaluates anything. */
  protocol: string | null;
  backend: BackendInfo | null;
  /** Versions of the packages that shape results. */
  packages: Record<string, string>;
  datasets: DatasetInfo[];
  code: CodeVersion;
  machine: MachineInfo;
  startedAt: string;
  endedAt: string | null;
  /** Wall time in seconds, once ended. */
  durationSeconds: number | null;
}

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Packages whose versions are recorded: the ones whose behaviour changes numbers. */
const RECORDED_PACKAGES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
  '@saehrimnir/druidjs',
  'plotly.js-dist-min',
  'yargs',
];

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Installed versions of the recorded packages ('absent' for optional ones not installed). */
export function packageVersions(root = PROJECT_ROOT): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RECORDED_PACKAGES) {
    const pkg = readJson(path.join(root, 'node_modules', name, 'package.json'));
    out[name] = typeof pkg?.['version'] === 'string' ? (pkg['version'] as string) : 'absent';
  }
  return out;
}

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function codeVersion(root = PROJECT_ROOT): CodeVersion {
  const pkg = readJson(path.join(root, 'package.json'));
  const commit = git(['rev-parse', 'HEAD'], root);
  // --no-optional-locks: `git status` otherwise refreshes the index under .git/index.lock; runs on
  // parallel workers (or a run killed mid-call) then collide with, or block, the user's own git commands.
  const status = commit === null ? null : git(['--no-optional-locks', 'status', '--porcelain', '--untracked-files=no'], root);
  return {
    package: typeof pkg?.['version'] === 'string' ? (pkg['version'] as string) : 'unknown',
    commit,
    dirty: status === null ? null : status.length > 0,
  };
}

function gpuDescription(): string | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    return out.length > 0 ? out.split('\n').join('; ') : null;
  } catch {
    return null;
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    node: process.version,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryBytes: os.totalmem(),
    gpu: gpuDescription(),
  };
}

/** Describe a dataset by content checksum (the path may not exist yet: then checksum is null). */
export function describeDataset(datasetPath: string, description?: string): DatasetInfo {
  const abs = path.resolve(datasetPath);
  const info: DatasetInfo = { path: abs, checksum: fs.existsSync(abs) ? checksumPath(abs) : null };
  if (description !== undefined) info.description = description;
  return info;
}

export interface ManifestInput {
  command: string;
  config: unknown;
  seeds: number[];
  protocol?: string | null;
  backend?: BackendInfo | null;
  datasets?: DatasetInfo[];
  commandLine?: string[];
  startedAt?: Date;
}

/** Start a manifest at the beginning of a command. */
export function startManifest(input: ManifestInput): RunManifest {
  return {
    manifestVersion: MANIFEST_VERSION,
    commandLine: input.commandLine ?? process.argv.slice(1),
    command: input.command,
    config: input.config,
    configHash: configHash(input.config),
    seeds: input.seeds,
    protocol: input.protocol ?? null,
    backend: input.backend ?? null,
    packages: packageVersions(),
    datasets: input.datasets ?? [],
    code: codeVersion(),
    machine: machineInfo(),
    startedAt: (input.startedAt ?? new Date()).toISOString(),
    endedAt: null,
    durationSeconds: null,
  };
}

/** Stamp the end time and write `manifest.json` into `dir` atomically. Returns the file path. */
export function finishManifest(manifest: RunManifest, dir: string, endedAt = new Date()): string {
  manifest.endedAt = endedAt.toISOString();
  manifest.durationSeconds = (endedAt.getTime() - Date.parse(manifest.startedAt)) / 1000;
  const file = path.join(dir, 'manifest.json');
  writeJsonAtomic(file, manifest);
  return file;
}
